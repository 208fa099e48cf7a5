"""Template helpers available in every template (registered as builtins in settings)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from portal.core import status

register = template.Library()


@cache
def _icons_dir() -> Path | None:
    for base in settings.STATICFILES_DIRS:
        found = sorted(Path(base).glob("vendor/tabler-icons-*"))
        if found:
            return found[-1]
    return None


@cache
def _icon_svg(name: str) -> str:
    folder = _icons_dir()
    path = folder / f"{name}.svg" if folder else None
    if path is None or not path.is_file() or not re.fullmatch(r"[a-z0-9-]+", name):
        return ""
    svg = path.read_text(encoding="utf-8")
    # Decorative: the text next to an icon carries the meaning.
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()
    return svg.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1)


@register.simple_tag
def icon(name: str) -> str:
    """Inline a vendored Tabler icon (outline) as SVG."""
    return mark_safe(_icon_svg(name))  # noqa: S308 - our own vendored files


@register.simple_tag
def when(value) -> str:
    """A relative time ("3 minutes ago") with the exact UTC time on hover."""
    if not value:
        return "—"
    value = timezone.localtime(value, timezone.UTC) if timezone.is_aware(value) else value
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        value.strftime("%Y-%m-%d %H:%M:%S UTC"),
        naturaltime(value),
    )


@register.filter
def initials(user) -> str:
    name = (getattr(user, "full_name", "") or getattr(user, "email", "?")).strip()
    parts = [p for p in re.split(r"[\s@._-]+", name) if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def control(bound_field) -> str:
    """Render a field's widget with Tabler classes and ARIA links to its help text and error."""
    from django import forms

    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{css} is-invalid" if bound_field.errors else css}
    described = []
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{bound_field.auto_id}_error")
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_helptext")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def elided_pages(page):
    """Page numbers around the current one, with ellipses, for _pagination.html."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


@register.filter
def status_badge(value: str) -> status.Badge:
    """The badge of a DIR, batch or number status (text, colour class, hint); see core.status."""
    return status.status_badge(value)


@register.filter
def status_label(value: str) -> str:
    """The human name of a DIR, batch or number status ("in_review" → "In review")."""
    return status.status_label(value)
