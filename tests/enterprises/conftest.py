"""Enterprise tests: team_a connected to a simulated Telnyx account, and form/body helpers."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.sim import enterprise_body, simulator_transport


def unique_name(suffix: str = "LLC") -> str:
    return f"Northwind Clinic {uuid.uuid4().hex[:6]} {suffix}"


def form_data(**overrides) -> dict:
    """A complete, valid POST for the enterprise form (billing address same as physical)."""
    data = {
        "legal_name": unique_name(),
        "doing_business_as": "Northwind Clinic",
        "organization_type": "commercial",
        "organization_legal_type": "llc",
        "role_type": "enterprise",
        "country_code": "US",
        "jurisdiction_of_incorporation": "Delaware",
        "fein": "12-3456789",
        "industry": "healthcare",
        "number_of_employees": "51-200",
        "website": "https://northwind.example",
        "organization_contact__first_name": "Ada",
        "organization_contact__last_name": "Park",
        "organization_contact__job_title": "CEO",
        "organization_contact__email": "ada@northwind.example",
        "organization_contact__phone_number": "+13125550100",
        "billing_contact__first_name": "Bo",
        "billing_contact__last_name": "Lee",
        "billing_contact__email": "billing@northwind.example",
        "billing_contact__phone_number": "+13125550101",
        "organization_physical_address__street_address": "1 Main St",
        "organization_physical_address__city": "Chicago",
        "organization_physical_address__administrative_area": "IL",
        "organization_physical_address__postal_code": "60601",
        "organization_physical_address__country": "US",
        "billing_same": "on",
        "billing_address__country": "US",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def api_body(**overrides) -> dict:
    """A valid create body for the service layer."""
    return enterprise_body(**{"legal_name": unique_name(), **overrides})


class ActivationPendingTransport(httpx.BaseTransport):
    """The simulator, except that the first `pending` activation calls answer Telnyx's async-registration 400.

    The simulator activates at once; real Telnyx may still be registering (CONTRACT.md §5.2 Timing).
    """

    def __init__(self, pending: int) -> None:
        self.inner = simulator_transport()
        self.pending = pending
        self.activation_calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/branded_calling"):
            self.activation_calls += 1
            if self.activation_calls <= self.pending:
                body = {
                    "errors": [
                        {
                            "code": "10015",
                            "title": "Bad Request",
                            "detail": "Branded calling registration has not completed. Retry in a few seconds.",
                            "meta": {"url": "https://developers.telnyx.com/docs/overview/errors/10015"},
                        }
                    ]
                }
                return httpx.Response(
                    400, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
                )
        return self.inner.handle_request(request)


@pytest.fixture
def pending_activation(connected, route_through):
    """Telnyx answers "registration has not completed" to the first two activation calls."""
    return route_through(ActivationPendingTransport(pending=2))
