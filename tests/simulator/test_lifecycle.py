"""CONTRACT.md §7 and §8: the vetting autopilot's documented rules, expiry, and signed webhooks."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portal.simulator.models import WebhookDelivery


def tick(sim, seconds: float = 0):
    if seconds:
        sim.ok("POST", "/_sim/clock", json={"advance_seconds": seconds})
    return sim.ok("POST", "/_sim/tick")["data"]


def status(sim, dir_id):
    return sim.ok("GET", f"/v2/dir/{dir_id}")["data"]


@pytest.mark.parametrize(
    ("name", "outcome", "first_code"),
    [
        ("Northwind Clinic", "verified", None),
        ("Reject Me Clinic", "rejected", "display_name_not_associated"),
        ("Unsuccessful Clinic", "unsuccessful", "vetting_system_error"),
        ("Permanent Clinic", "permanently_rejected", "ineligible_business_category"),
    ],
)
def test_autopilot_dir_rules(sim, settings, name, outcome, first_code):
    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 5, 10
    dir_ = sim.dir(display_name=name)
    sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")
    tick(sim)
    assert status(sim, dir_["id"])["status"] == "submitted"  # not yet: the delay has not passed
    tick(sim, 6)
    assert status(sim, dir_["id"])["status"] == "in_review"
    tick(sim, 11)
    final = status(sim, dir_["id"])
    assert final["status"] == outcome
    if first_code:
        reasons = final["rejection_reasons"]
        assert reasons[0]["code"] == first_code and reasons[0]["message"]
        assert all(r["message"] is None for r in reasons[1:])
        comments = sim.ok(
            "GET", f"/v2/dir/{dir_['id']}/comments", params={"comment_type": "rejection_reason"}
        )["data"]
        assert comments[0]["content"] == reasons[0]["message"]
    else:
        assert final["verified_at"] and final["rejection_reasons"] is None


def test_autopilot_number_rules(sim, settings):
    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    dir_ = sim.verified_dir()
    numbers = ["+13125550101", "+13125550113", "+13125550166"]
    sim.inventory(*numbers)
    batch_id = sim.ok("POST", f"/v2/dir/{dir_['id']}/phone_numbers", 201,
                      json={"phone_numbers": numbers, "documents": sim.loa(*numbers)})["data"][0]["batch_id"]  # fmt: skip
    tick(sim, 2)
    assert (
        sim.ok("GET", f"/v2/dir/{dir_['id']}/phone_number_batches/{batch_id}")["data"]["status"]
        == "in_review"
    )
    tick(sim, 2)
    batch = sim.ok("GET", f"/v2/dir/{dir_['id']}/phone_number_batches/{batch_id}")["data"]
    by_number = {n["phone_number"]: n for n in batch["phone_numbers"]}
    assert by_number["+13125550101"]["status"] == "verified" and by_number["+13125550101"]["verified_at"]
    assert by_number["+13125550113"]["status"] == "unsuccessful"
    assert by_number["+13125550113"]["rejection_reason"]["code"] == "number_not_in_service"
    assert by_number["+13125550166"]["status"] == "permanently_rejected"
    assert batch["status"] == "unsuccessful"  # §7.3 precedence over permanently_rejected and verified


def test_numbers_of_a_dir_that_left_verified_fail_review(sim, settings):
    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    sim.ok(
        "POST",
        f"/v2/dir/{dir_['id']}/phone_numbers",
        201,
        json={"phone_numbers": ["+13125550101"], "documents": sim.loa()},
    )
    sim.ok("PATCH", f"/v2/dir/{dir_['id']}", json={"display_name": "Edited"})  # back to draft
    tick(sim, 2)
    tick(sim, 2)
    number = sim.ok("GET", f"/v2/dir/{dir_['id']}/phone_numbers")["data"][0]
    assert number["status"] == "unsuccessful"
    assert number["rejection_reason"]["code"] == "dir_not_verified"


def test_expiry_and_renewal(sim):
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    row = sim.ok("POST", f"/v2/dir/{dir_['id']}/phone_numbers", 201,
                 json={"phone_numbers": ["+13125550101"], "documents": sim.loa()})["data"][0]  # fmt: skip
    sim.ok("POST", f"/_sim/phone_numbers/{row['id']}/transition", json={"to": "verified"})
    tick(sim, 366 * 24 * 3600)
    assert status(sim, dir_["id"])["status"] == "expired"
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}/phone_numbers")["data"][0]["status"] == "expired"
    assert sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")["data"]["status"] == "submitted"
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}/phone_numbers")["data"][0]["status"] == "submitted"


def test_resubmitting_a_verified_dir_keeps_numbers_verified(sim):
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    row = sim.ok("POST", f"/v2/dir/{dir_['id']}/phone_numbers", 201,
                 json={"phone_numbers": ["+13125550101"], "documents": sim.loa()})["data"][0]  # fmt: skip
    sim.ok("POST", f"/_sim/phone_numbers/{row['id']}/transition", json={"to": "verified"})
    sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}/phone_numbers")["data"][0]["status"] == "verified"


class _Receiver:
    """A real HTTP server on loopback that records webhook deliveries and answers with queued statuses."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses):
        made.append(_Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _verify(public_key_b64: str, headers: dict, body: bytes) -> None:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    message = headers["telnyx-timestamp"].encode() + b"|" + body
    key.verify(base64.b64decode(headers["telnyx-signature-ed25519"]), message)  # raises if invalid


def test_outcome_webhook_is_signed_and_retried_with_backoff(sim, receiver):
    hook = receiver(500, 503)
    dir_ = sim.dir(webhook_url="https://placeholder.example/hook")
    # The simulator posts wherever the DIR says; point it at the loopback receiver.
    from portal.simulator.models import Dir

    Dir.objects.filter(id=dir_["id"]).update(webhook_url=hook.url)
    sim.ok("POST", f"/_sim/dir/{dir_['id']}/transition", json={"to": "rejected"})
    tick(sim)  # attempt 1 → 500
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and not delivery.delivered
    tick(sim)  # not due yet: the next attempt waits 1 s
    assert WebhookDelivery.objects.get().attempts == 1
    tick(sim, 1.1)  # attempt 2 → 503
    tick(sim, 2.1)  # attempt 3 → 200
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.delivered, delivery.next_attempt_at) == (3, True, None)
    assert len(hook.requests) == 3
    public_key = sim.ok("GET", "/_sim/webhooks/public_key")["data"]["public_key"]
    assert public_key == sim.account["webhook_public_key"]
    events = []
    for headers, body in hook.requests:
        _verify(public_key, headers, body)
        events.append(json.loads(body))
    assert {e["data"]["id"] for e in events} == {str(delivery.event_id)}  # same id on every redelivery
    assert [e["meta"]["attempt"] for e in events] == [1, 2, 3]
    payload = events[0]["data"]["payload"]
    assert events[0]["data"]["event_type"] == "branded_calling.dir.status_updated"
    assert (payload["status"], payload["previous_status"], payload["dir_id"]) == (
        "rejected",
        "draft",
        dir_["id"],
    )
    assert abs(int(hook.requests[0][0]["telnyx-timestamp"]) - time.time()) < 60
    log = sim.ok("GET", "/_sim/webhooks/deliveries")["data"]
    assert log[0]["attempts"] == 3 and log[0]["delivered"] is True


def test_webhook_gives_up_after_five_attempts(sim, receiver):
    hook = receiver(*([500] * 10))
    dir_ = sim.dir(webhook_url="https://placeholder.example/hook")
    from portal.simulator.models import Dir

    Dir.objects.filter(id=dir_["id"]).update(webhook_url=hook.url)
    sim.ok("POST", f"/_sim/dir/{dir_['id']}/transition", json={"to": "verified"})
    for _ in range(8):
        tick(sim, 9)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.delivered, delivery.next_attempt_at) == (5, False, None)


def test_test_webhooks_can_be_stale_or_badly_signed(sim, receiver):
    hook = receiver()
    public_key = sim.account["webhook_public_key"]
    sim.ok("POST", "/_sim/webhooks/send", json={"url": hook.url, "age_seconds": 301})
    sim.ok("POST", "/_sim/webhooks/send", json={"url": hook.url, "bad_signature": True})
    (stale_headers, stale_body), (bad_headers, bad_body) = hook.requests
    _verify(public_key, stale_headers, stale_body)  # validly signed…
    assert time.time() - int(stale_headers["telnyx-timestamp"]) > 300  # …but too old
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        _verify(public_key, bad_headers, bad_body)
