"""The member's JSON export: everything that is theirs, nothing that is anyone else's."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts import selectors
from tests.factories import SessionLogFactory

pytestmark = pytest.mark.django_db


def test_export_is_a_json_download_of_the_members_own_data(member_client, user, other_user):
    mine = SessionLogFactory(user=user)
    theirs = SessionLogFactory(user=other_user)
    response = member_client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="kneadful-data-')
    text = response.content.decode()
    data = json.loads(text)
    assert data["profile"]["email"] == user.email
    assert data["profile"]["timezone"] == user.timezone
    assert data["email_addresses"] == [{"email": user.email, "verified": True, "primary": True}]
    assert "exported_at" in data
    # Nothing of the other member, wherever an app's section puts it.
    assert other_user.email not in text
    assert str(theirs.client_id) not in text
    # The member's own logs are there (routines registers its sections at start-up).
    assert str(mine.client_id) in text


def test_export_sections_registered_by_apps_are_built_for_the_member(
    member_client, user, other_user, monkeypatch
):
    seen = []

    def section(member):
        seen.append(member.pk)
        return {"notes": [f"for {member.email}"]}

    monkeypatch.setitem(selectors.EXPORT_SECTIONS, "test_section", section)
    data = member_client.get(reverse("accounts:export")).json()
    assert data["test_section"] == {"notes": [f"for {user.email}"]}
    assert seen == [user.pk]


def test_export_needs_login(client):
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 302
