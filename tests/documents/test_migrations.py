"""Documents recorded before the one DocumentType vocabulary keep their meaning after the migration."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("documents", "0001_initial")]
AFTER = [("documents", "0002_document_kind_document_type")]


def _migrate(targets):
    """Migrate the test database to `targets`; the models as they were then."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


@pytest.mark.django_db(transaction=True)
def test_loa_and_other_become_telnyx_document_types_and_back():
    old = _migrate(BEFORE)
    team = old.get_model("accounts", "Team").objects.create(name="Acme", slug="acme")
    Document = old.get_model("documents", "Document")
    common = {"team": team, "sha256": "0", "size": 1, "content_type": "application/pdf"}
    Document.objects.create(remote_id="a", kind="loa", filename="loa.pdf", **common)
    Document.objects.create(remote_id="b", kind="other", filename="permit.pdf", **common)

    new = _migrate(AFTER)
    kinds = dict(new.get_model("documents", "Document").objects.values_list("remote_id", "kind"))
    assert kinds == {"a": "letter_of_authorization", "b": "other"}

    new.get_model("documents", "Document").objects.filter(remote_id="b").update(kind="ein_letter")
    back = _migrate(BEFORE)
    assert dict(back.get_model("documents", "Document").objects.values_list("remote_id", "kind")) == {
        "a": "loa",
        "b": "other",
    }
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())
