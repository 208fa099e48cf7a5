"""{% loa_sign_panel dir preflight %}: the add page's "Sign the letters here" panel (numbers' template, loas' panel)."""

from __future__ import annotations

from django import template

from portal.loas import services

register = template.Library()


@register.inclusion_tag("loas/_sign_panel.html", takes_context=True)
def loa_sign_panel(context, dir, preflight):
    request = context["request"]
    count = len(preflight.ok) if preflight is not None else 0
    panel = services.sign_panel_context(dir, request.user, count=count)
    panel.update({"current_team": context.get("current_team"), "request": request})
    return panel
