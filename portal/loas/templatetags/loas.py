"""{% loa_sign_panel dir preflight %}: the add page's "Sign the letters here" panel (numbers' template, loas' panel)."""

from __future__ import annotations

from django import template

from portal.loas import selectors, services

register = template.Library()


@register.inclusion_tag("loas/_sign_panel.html", takes_context=True)
def loa_sign_panel(context, dir, preflight):
    request = context["request"]
    ok = list(preflight.ok) if preflight is not None else []
    panel = services.sign_panel_context(dir, request.user, count=len(ok), numbers=ok)
    panel.update({"current_team": context.get("current_team"), "request": request})
    return panel


@register.inclusion_tag("loas/_batch_letter.html", takes_context=True)
def batch_letter(context, batch):
    """On a batch's page: the letter signed in the portal that it went with, if any."""
    return {"letter": selectors.letter_of_batch(batch=batch), "current_team": context.get("current_team")}
