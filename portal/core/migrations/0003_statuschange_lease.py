"""The status timeline and leases, moved here from the numbers app (numbers.0009).

The tables keep their names (numbers_statuschange, numbers_synclease), so nothing is copied.
The timeline's foreign key to the DIR becomes a plain DIR id (core knows no domain model): its
database constraint is dropped, and the column, its values and its index stay as they are.
"""

import django.db.models.deletion
from django.db import migrations, models

ENTITY_CHOICES = [
    ("dir", "DIR"),
    ("batch", "Batch"),
    ("number", "Number"),
]
SOURCE_CHOICES = [("user", "Portal user"), ("sync", "Sync"), ("webhook", "Webhook")]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_email_ci_unique"),
        ("core", "0002_audit_verbs_for_domain_events"),
        ("dirs", "0005_numbers_version"),
        ("numbers", "0009_sync_and_timeline_moved_out"),
    ]

    operations = [
        # 1. Take over the existing tables, as they are (state only).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Lease",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=80, unique=True)),
                        ("holder", models.CharField(max_length=80)),
                        ("expires_at", models.DateTimeField()),
                    ],
                    options={"db_table": "numbers_synclease"},
                ),
                migrations.CreateModel(
                    name="StatusChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("entity_type", models.CharField(choices=ENTITY_CHOICES, max_length=8)),
                        ("entity_id", models.BigIntegerField()),
                        ("from_status", models.CharField(blank=True, max_length=24)),
                        ("to_status", models.CharField(max_length=24)),
                        ("reason", models.JSONField(blank=True, null=True)),
                        ("source", models.CharField(choices=SOURCE_CHOICES, max_length=8)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        (
                            "dir",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="status_changes",
                                to="dirs.dir",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "numbers_statuschange",
                        "ordering": ["-at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["entity_type", "entity_id", "-at"], name="statuschange_entity_idx"
                            ),
                            models.Index(fields=["dir", "-at"], name="statuschange_dir_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        # 2. Drop the database constraint of the DIR key (the column and its values stay).
        migrations.AlterField(
            model_name="statuschange",
            name="dir",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="dirs.dir",
            ),
        ),
        # 3. The same column, now a plain id (state only: same name, type and index).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="statuschange", name="statuschange_dir_idx"),
                migrations.RemoveField(model_name="statuschange", name="dir"),
                migrations.AddField(
                    model_name="statuschange", name="dir_id", field=models.BigIntegerField(null=True)
                ),
                migrations.AddIndex(
                    model_name="statuschange",
                    index=models.Index(fields=["dir_id", "-at"], name="statuschange_dir_idx"),
                ),
            ],
            database_operations=[],
        ),
    ]
