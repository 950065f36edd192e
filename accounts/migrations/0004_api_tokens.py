# PLACEHOLDER on the wt-reminders branch only: the real 0004_api_tokens (API-token
# management) is written on another branch and replaces this file at merge. It exists so
# that 0005_move_reminders_out can depend on ("accounts", "0004_api_tokens") here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_reminders"),
    ]

    operations = []
