"""Stored schedules name the sync tasks by their new dotted path (they moved from portal.numbers.tasks)."""

from django.db import migrations

MOVED = {
    f"portal.numbers.tasks.{name}": f"portal.sync.tasks.{name}"
    for name in ("sync_account", "sync_all", "sync_dir")
}


def _rename(apps, renames: dict[str, str]) -> None:
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in renames.items():
        Schedule.objects.filter(func=old).update(func=new)


def forwards(apps, schema_editor):
    _rename(apps, MOVED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
