# PLACEHOLDER (wt-newsletters): the real 0005_move_reminders_out comes from the reminders
# branch. It exists here only so 0006_email_consent_default_off has its parent; drop it at merge.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_api_tokens"),
    ]

    operations = []
