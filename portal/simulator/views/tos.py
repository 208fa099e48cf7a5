"""Terms of Service (CONTRACT.md §5.1)."""

from __future__ import annotations

from django.http import JsonResponse

from portal.simulator.api import bad_request, data, not_found, now, paginate, parse_uuid, ts
from portal.simulator.models import TosAgreement

PRODUCTS = ("branded_calling", "number_reputation")
DESCRIPTIONS = {
    "branded_calling": "Terms of Service for Telnyx Branded Calling",
    "number_reputation": "Terms of Service for Telnyx Number Reputation",
}


def _product(request, default: str | None = "branded_calling") -> str | None:
    product = request.GET.get("product_type") or default
    if product is not None and product not in PRODUCTS:
        raise bad_request(f"product_type must be one of: {', '.join(PRODUCTS)}.", parameter="product_type")
    return product


def _current(account, product: str) -> str:
    return getattr(account, f"{product}_terms_version")


def agreement_json(agreement: TosAgreement) -> dict:
    return {
        "id": str(agreement.id),
        "record_type": "terms_of_service_agreement",
        "product_type": agreement.product_type,
        "terms_version": agreement.terms_version,
        "version": agreement.terms_version,
        "agreed_at": ts(agreement.agreed_at),
        "created_at": ts(agreement.agreed_at),
    }


def status(request):
    product = _product(request)
    current = _current(request.account, product)
    agreements = TosAgreement.objects.filter(account=request.account, product_type=product).order_by(
        "-agreed_at"
    )
    latest = agreements.first()
    has_agreed = agreements.filter(terms_version=current).exists()
    return data(
        {
            "product_type": product,
            "has_agreed": has_agreed,
            "agreement_required": not has_agreed,
            "current_terms_version": current,
            "agreed_version": latest.terms_version if latest else None,
            "agreed_at": ts(latest.agreed_at) if latest else None,
        }
    )


def agree(product: str):
    def view(request):
        agreement, _created = TosAgreement.objects.get_or_create(
            account=request.account,
            product_type=product,
            terms_version=_current(request.account, product),
            defaults={"agreed_at": now()},
        )
        return data(agreement_json(agreement))

    return view


def agreement_list(request):
    product = _product(request, default=None)
    agreements = TosAgreement.objects.filter(account=request.account).order_by("-agreed_at")
    if product:
        agreements = agreements.filter(product_type=product)
    return paginate(request, agreements, agreement_json)


def agreement_detail(request, agreement_id: str):
    agreement = TosAgreement.objects.filter(
        account=request.account, id=parse_uuid(agreement_id, "Agreement not found.")
    ).first()
    if agreement is None:
        raise not_found("Agreement not found.")
    return data(agreement_json(agreement))


def info(request):
    product = _product(request, default=None)
    return JsonResponse(
        {
            "agreements": [
                {
                    "product_type": p,
                    "current_version": _current(request.account, p),
                    "description": DESCRIPTIONS[p],
                    "effective_date": "2026-01-01",
                    "terms_url": f"https://telnyx.com/terms/{p.replace('_', '-')}",
                }
                for p in PRODUCTS
                if product in (None, p)
            ]
        }
    )
