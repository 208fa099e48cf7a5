"""The sync engine's models moved to the `sync` app, the timeline and leases to `core`.

State only: the tables stay where they are (each moved model keeps its db_table), so an existing
database upgrades with nothing copied and nothing lost. See core.0003 and sync.0001.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("numbers", "0008_removal_claim"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="StatusChange"),
                migrations.DeleteModel(name="SyncLease"),
                migrations.DeleteModel(name="SyncRun"),
                migrations.DeleteModel(name="WebhookEvent"),
            ],
            database_operations=[],
        ),
    ]
