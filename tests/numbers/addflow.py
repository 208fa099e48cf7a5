"""Set-up shared by the add-flow tests: a verified DIR mirrored from the simulator, inventory, an LOA."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.dirs.models import Dir
from portal.documents import services as document_services
from portal.documents.models import Document, DocumentType
from portal.numbers.services import add_send
from portal.sync import services as sync_services

PDF = b"%PDF-1.4\n% signed LOA for the tests\n%%EOF\n"


def numbers(start: int, count: int) -> list[str]:
    """Inventory-style numbers +1312555<start>… (Chicago, never toll-free or Canadian)."""
    return [f"+1312555{n:04d}" for n in range(start, start + count)]


@dataclass
class Verified:
    dir: Dir
    other_dir: Dir
    loa: Document
    remote_id: str


def loa_upload(team, user=None, content: bytes = PDF, name: str = "loa.pdf") -> Document:
    return document_services.document_upload(
        team=team,
        user=user,
        file=SimpleUploadedFile(name, content, "application/pdf"),
        kind=DocumentType.LETTER_OF_AUTHORIZATION,
    )


@pytest.fixture
def verified(connected, sim, team_a, monkeypatch) -> Verified:
    """A verified DIR (and a second one) of team_a, mirrored; 1,200 inventory numbers from +13125552000."""
    monkeypatch.setattr(add_send, "ADD_READBACK_DELAY", 0.0)  # no real wait before a read-back
    inventory = numbers(2000, 1200)
    for start in range(0, len(inventory), 500):
        sim.inventory(*inventory[start : start + 500])
    enterprise = sim.activated_enterprise()
    remote = sim.verified_dir(enterprise_id=enterprise["id"])
    other = sim.verified_dir(enterprise_id=enterprise["id"], display_name="Northwind Billing")
    sync_services.account_sync(account=connected, full=True)
    return Verified(
        dir=Dir.objects.get(remote_id=remote["id"]),
        other_dir=Dir.objects.get(remote_id=other["id"]),
        loa=loa_upload(team_a),
        remote_id=remote["id"],
    )
