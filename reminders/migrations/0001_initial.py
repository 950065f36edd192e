"""The reminders app takes ReminderSchedule and ReminderOccurrence over from accounts.

STATE ONLY for the models: the tables keep the names they had in accounts
(``db_table = "accounts_reminderschedule"`` / ``"accounts_reminderoccurrence"``), with
every row, index and constraint; nothing is created, copied or renamed in the database.
``accounts/migrations/0005_move_reminders_out.py`` removes the same models from accounts'
state (this migration runs after it). The one database operation moves the two content
types from app label "accounts" to "reminders", so staff permissions and admin history
follow the models (on a fresh database there are none yet: nothing to move).
"""

import accounts.validators
import django.db.models.deletion
import reminders.models
from django.conf import settings
from django.db import migrations, models

MODELS = ("reminderschedule", "reminderoccurrence")


def _content_types_move(apps, schema_editor, source, target):
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if rows.filter(app_label=target, model=model).exists():
            continue  # already there: leave both rows as they are
        rows.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_reminders(apps, schema_editor):
    _content_types_move(apps, schema_editor, "accounts", "reminders")


def content_types_to_accounts(apps, schema_editor):
    _content_types_move(apps, schema_editor, "reminders", "accounts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0005_move_reminders_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("routines", "0005_drop_indexes_covered_by_composites"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ReminderSchedule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weekdays', models.JSONField(default=list, help_text='Days it fires: 0 is Monday, 6 is Sunday.', validators=[reminders.models.validate_weekdays])),
                        ('local_time', models.TimeField(help_text="Local time of day, in the schedule's zone.")),
                        ('timezone', models.CharField(max_length=64, validators=[accounts.validators.validate_timezone])),
                        ('active', models.BooleanField(default=True)),
                        ('skip_if_practised', models.BooleanField(default=False, help_text='No email on a day I have already practised.')),
                        ('next_run_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('routine', models.ForeignKey(blank=True, help_text='The routine the reminder suggests (optional).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='routines.routine')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_schedules', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_reminderschedule',
                    },
                ),
                migrations.CreateModel(
                    name='ReminderOccurrence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('due_at', models.DateTimeField(help_text='The instant the schedule fired (UTC).')),
                        ('local_date', models.DateField(help_text="The member's calendar day of the occurrence.")),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('skipped_late', 'Skipped: more than an hour late'), ('skipped_practised', 'Skipped: already practised that day'), ('skipped_not_allowed', 'Skipped: recipient not allowed'), ('failed', 'Failed')], default='queued', max_length=20)),
                        ('dispatch_token', models.UUIDField(blank=True, editable=False, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=500)),
                        ('action', models.CharField(blank=True, choices=[('', 'None'), ('done', 'I did it'), ('rest', 'Rest today')], default='', max_length=4)),
                        ('acted_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('routine', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='routines.routine')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_occurrences', to=settings.AUTH_USER_MODEL)),
                        ('schedule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='occurrences', to='reminders.reminderschedule')),
                    ],
                    options={
                        'db_table': 'accounts_reminderoccurrence',
                    },
                ),
                migrations.AddIndex(
                    model_name='reminderschedule',
                    index=models.Index(condition=models.Q(('active', True)), fields=['next_run_at'], name='reminder_due_idx'),
                ),
                migrations.AddIndex(
                    model_name='reminderschedule',
                    index=models.Index(fields=['user', 'created_at'], name='reminder_user_idx'),
                ),
                migrations.AddConstraint(
                    model_name='reminderschedule',
                    constraint=models.CheckConstraint(condition=models.Q(('active', False), ('next_run_at__isnull', False), _connector='OR'), name='reminder_active_has_next_run'),
                ),
                migrations.AddIndex(
                    model_name='reminderoccurrence',
                    index=models.Index(condition=models.Q(('status__in', ['queued', 'sending'])), fields=['updated_at'], name='reminder_occ_unsent_idx'),
                ),
                migrations.AddIndex(
                    model_name='reminderoccurrence',
                    index=models.Index(fields=['user', 'due_at'], name='reminder_occ_user_idx'),
                ),
                migrations.AddConstraint(
                    model_name='reminderoccurrence',
                    constraint=models.UniqueConstraint(fields=('schedule', 'due_at'), name='reminder_occurrence_once'),
                ),
            ],
            database_operations=[
                migrations.RunPython(content_types_to_reminders, content_types_to_accounts),
            ],
        ),
    ]
