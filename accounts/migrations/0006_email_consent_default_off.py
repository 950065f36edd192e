"""Consent first: the newsletter is off unless a member opts in (offers already were).

The schema change is the default of ``EmailPreference.newsletter``. Members without a
preference row get the new defaults at once (no row = ``EmailPreference.DEFAULTS``).

Rows that say ``newsletter=True`` cannot be told apart: a row is created the first time a
member saves the preference centre (where the newsletter box used to be pre-ticked) or
uses any unsubscribe link (the row then copies the old defaults, newsletter on). The table
keeps no creation time nor which box was touched, so nothing shows a deliberate "yes".
So the newsletter is turned off for every member; a member who wants it ticks it again at
/me/emails/ (README, "Changelog"). Explicit "no"s (newsletter=False) and offers are kept.
"""

from django.db import migrations, models


def newsletter_off_for_all(apps, schema_editor):
    EmailPreference = apps.get_model("accounts", "EmailPreference")
    EmailPreference.objects.filter(newsletter=True).update(newsletter=False)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_move_reminders_out"),
    ]

    operations = [
        migrations.AlterField(
            model_name="emailpreference",
            name="newsletter",
            field=models.BooleanField(
                default=False,
                help_text="An occasional letter with new routines and series. Off unless you turn it on.",
            ),
        ),
        # Not reversible in meaning: the old "yes" values are gone; reversing keeps them off.
        migrations.RunPython(newsletter_off_for_all, migrations.RunPython.noop),
    ]
