"""Consent first: newsletter and offers are off unless the member opts in (and migration 0006)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.forms import SignupForm
from accounts.models import EmailPreference
from accounts.selectors import email_preferences_for
from tests.factories import UserFactory


@pytest.mark.django_db
def test_new_members_get_neither_newsletter_nor_offers():
    member = UserFactory()
    assert email_preferences_for(user=member) == {
        "reminders": True,
        "newsletter": False,
        "offers": False,
    }
    assert EmailPreference._meta.get_field("newsletter").default is False
    assert EmailPreference._meta.get_field("offers").default is False


@pytest.mark.django_db
@pytest.mark.parametrize("ticked", [False, True])
def test_the_signup_box_is_the_only_way_in_at_signup(rf, ticked):
    member = UserFactory()
    data = {"timezone": "UTC", **({"newsletter": "on"} if ticked else {})}
    form = SignupForm(data)
    assert form.is_valid(), form.errors
    form.signup(rf.post("/"), member)
    assert email_preferences_for(user=member)["newsletter"] is ticked


@pytest.mark.django_db(transaction=True)
def test_migration_0006_turns_the_newsletter_off_and_keeps_other_choices():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0005_move_reminders_out")]
    after = [("accounts", "0006_email_consent_default_off")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("accounts", "User")
    Preference = old.get_model("accounts", "EmailPreference")
    rows = {
        "defaults_copied": {"reminders": False, "newsletter": True, "offers": False},
        "said_no": {"reminders": True, "newsletter": False, "offers": False},
        "wants_offers": {"reminders": True, "newsletter": True, "offers": True},
    }
    for name, values in rows.items():
        user = User.objects.create(email=f"{name}@example.com", password="!")
        Preference.objects.create(user=user, **values)
    User.objects.create(email="never_saved@example.com", password="!")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Preference = new.get_model("accounts", "EmailPreference")
    saved = {
        p.user.email.split("@")[0]: (p.reminders, p.newsletter, p.offers)
        for p in Preference.objects.select_related("user")
    }
    assert saved == {
        "defaults_copied": (False, False, False),
        "said_no": (True, False, False),
        "wants_offers": (True, False, True),
    }
