"""Template helpers of the documents app: `{% load documents %}`."""

from __future__ import annotations

from django import template

from portal.documents.models import DocumentType

register = template.Library()


@register.filter
def document_type_label(value: str | None) -> str:
    """`{{ doc.document_type|document_type_label }}`: the type's label, in the one vocabulary."""
    return DocumentType.label_of(value)
