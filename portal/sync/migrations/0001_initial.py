"""The sync engine's models, moved here from the numbers app (numbers.0009) with their tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('numbers', '0009_sync_and_timeline_moved_out'),
        ('accounts', '0002_email_ci_unique'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (numbers_syncrun, numbers_webhookevent): state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SyncRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('full', 'Full'), ('incremental', 'Incremental')], max_length=12)),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='running', max_length=8)),
                        ('api_calls', models.PositiveIntegerField(default=0)),
                        ('pages', models.PositiveIntegerField(default=0)),
                        ('dirs_total', models.PositiveIntegerField(blank=True, null=True)),
                        ('dirs_done', models.PositiveIntegerField(default=0)),
                        ('changes', models.PositiveIntegerField(default=0)),
                        ('error', models.CharField(blank=True, max_length=255)),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sync_runs', to='accounts.telnyxaccount')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'numbers_syncrun',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.CharField(max_length=64)),
                        ('event_type', models.CharField(blank=True, max_length=100)),
                        ('dir_remote_id', models.CharField(blank=True, max_length=64)),
                        ('received_at', models.DateTimeField(auto_now_add=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.telnyxaccount')),
                    ],
                    options={
                        'db_table': 'numbers_webhookevent',
                        'constraints': [models.UniqueConstraint(fields=('account', 'event_id'), name='webhookevent_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
