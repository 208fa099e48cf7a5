"""The DIR Letter of Authorization, rendered as a real PDF with WeasyPrint (CONTRACT.md §5.8)."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse
from django.template.loader import render_to_string

from portal.simulator import services
from portal.simulator.api import ApiError, bad_request, entry, json_body, now
from portal.simulator.serializers import enterprise_json
from portal.simulator.validation import EMAIL, Checker
from portal.simulator.views.dirs import get_dir

LOA_NUMBER = r"\+[1-9][0-9]{9,14}"
AGENT_FIELDS = {
    "legal_name": (True, 200),
    "dba": (False, 200),
    "street_address": (True, 255),
    "extended_address": (False, 255),
    "city": (True, 120),
    "administrative_area": (True, 120),
    "postal_code": (True, 30),
    "country": (True, 2),
    "contact_name": (True, 200),
    "contact_title": (True, 200),
    "contact_email": (True, 254),
    "contact_phone": (True, 30),
}


def render(request, dir_id: str):
    import re

    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    dir_ = get_dir(request, dir_id)
    if dir_.status == "delete_requested":
        raise bad_request("Cannot render an LOA for a DIR whose deletion was requested.")
    body = json_body(request, status=400)
    numbers = body.get("phone_numbers")
    if not isinstance(numbers, list) or not 1 <= len(numbers) <= 15:
        raise bad_request("phone_numbers must list 1 to 15 numbers.", pointer="/body/phone_numbers")
    errors = [
        entry("10015", f"{n} is not a +E.164 number.", pointer=f"/body/phone_numbers/{i}")
        for i, n in enumerate(numbers)
        if not isinstance(n, str) or not re.fullmatch(LOA_NUMBER, n)
    ]
    agent = body.get("agent")
    if agent is not None:
        if not isinstance(agent, dict):
            errors.append(entry("10015", "agent must be an object.", pointer="/body/agent"))
        else:
            check = Checker(agent, prefix="/body/agent")
            for field, (required, limit) in AGENT_FIELDS.items():
                check.string(field, required=required, min_len=1 if required else 0, max_len=limit)
            if isinstance(agent.get("contact_email"), str) and not EMAIL.match(agent["contact_email"]):
                check.fail("contact_email", "contact_email must be a valid e-mail address.")
            if isinstance(agent.get("country"), str) and len(agent["country"]) != 2:
                check.fail("country", "country must be a 2-letter code.")
            errors += check.errors
    signature, signature_uri = body.get("signature"), None
    if signature is not None:
        image = signature.get("image_base64") if isinstance(signature, dict) else None
        try:
            raw = (
                base64.b64decode(image or "", validate=True)
                if isinstance(image, str) and 1 <= len(image) <= 60000
                else b""
            )
        except (binascii.Error, ValueError):
            raw = b""
        if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            errors.append(
                entry(
                    "10015",
                    "signature.image_base64 must be a base64 PNG of at most 60000 characters.",
                    pointer="/body/signature/image_base64",
                )
            )
        else:
            signature_uri = "data:image/png;base64," + image
        name = signature.get("signer_name") if isinstance(signature, dict) else None
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            errors.append(
                entry(
                    "10015",
                    "signature.signer_name must be at most 200 characters.",
                    pointer="/body/signature/signer_name",
                )
            )
    if errors:
        raise ApiError(400, errors)
    enterprise = enterprise_json(dir_.enterprise)
    contact = enterprise.get("organization_contact") or {}
    context = {
        "dir": dir_,
        "enterprise": enterprise,
        "address": enterprise.get("organization_physical_address") or {},
        "contact": contact,
        "numbers": numbers,
        "agent": agent,
        "signature_uri": signature_uri,
        "signer_name": (signature or {}).get("signer_name")
        or f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip(),
        "signed_at": now() if signature_uri else None,
    }
    html = render_to_string("simulator/loa.pdf.html", context)
    # data: URIs only (the signature image); a PDF render never reaches the network.
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    services.loa_render_record(
        dir_, numbers=numbers, signed=bool(signature_uri), pdf=pdf, at=context["signed_at"] or now()
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="loa-{dir_.id}.pdf"'
    return response
