"""Simulator-only rule: http:// logo and webhook URLs are accepted on loopback hosts, nowhere else."""

from __future__ import annotations

import pytest

from tests.sim import dir_body

LOOPBACK = [
    "http://127.0.0.1:8000/logos/abc.bmp",
    "http://localhost:8000/logos/abc.bmp",
    "http://[::1]:8000/logos/abc.bmp",
]


@pytest.mark.parametrize("url", LOOPBACK)
def test_http_loopback_logo_and_webhook_urls_are_accepted(sim, url):
    """A portal on a developer's machine (no TLS) can hand the simulator its own http URLs."""
    dir_ = sim.dir(logo_url=url, webhook_url=url.replace("/logos/abc.bmp", "/webhooks/telnyx/1/"))
    assert dir_["logo_url"] == url
    assert dir_["webhook_url"].startswith(url.split("/logos/")[0])


@pytest.mark.parametrize(
    "url",
    ["http://portal.example.com/logos/abc.bmp", "http://10.0.0.5/logos/abc.bmp", "ftp://127.0.0.1/abc.bmp"],
)
def test_http_on_any_other_host_is_refused(sim, url):
    """Everything that is not loopback must stay https, as on real Telnyx."""
    enterprise = sim.activated_enterprise()
    response = sim.post(f"/v2/enterprises/{enterprise['id']}/dir", json=dir_body(logo_url=url))
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/body/logo_url"


def test_the_exception_can_be_switched_off(sim, settings):
    """SIMULATOR_ALLOW_HTTP_LOOPBACK=0 makes the simulator as strict as Telnyx."""
    settings.SIMULATOR_ALLOW_HTTP_LOOPBACK = False
    dir_ = sim.dir()
    response = sim.patch(
        f"/v2/dir/{dir_['id']}", json={"webhook_url": "http://127.0.0.1:8000/webhooks/telnyx/1/"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/body/webhook_url"


def test_https_is_accepted_on_any_host(sim):
    """The real rule is untouched."""
    dir_ = sim.dir(logo_url="https://cdn.example.com/logo.bmp")
    assert dir_["logo_url"] == "https://cdn.example.com/logo.bmp"
