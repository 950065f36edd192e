# PLACEHOLDER (wt-newsletters): the real 0004_api_tokens comes from the API-tokens branch.
# It exists here only so 0006_email_consent_default_off has its parent; drop it at merge.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_reminders"),
    ]

    operations = []
