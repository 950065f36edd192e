"""API: token for verified members, the member's own profile at /api/v1/me/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_token_for_a_verified_account_authenticates_later_requests(api_client, user):
    response = api_client.post(
        reverse("api-token"), {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 40
    # The same token every time (idempotent), and it opens /me/.
    again = api_client.post(reverse("api-token"), {"email": user.email, "password": PASSWORD})
    assert again.json()["token"] == token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_token_refused_for_a_wrong_password(api_client, user):
    response = api_client.post(
        reverse("api-token"), {"email": user.email, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "Unable to log in" in str(response.json())
    assert "token" not in response.json()


def test_token_refused_until_the_email_is_verified(api_client):
    unverified = UserFactory(verified=False)
    response = api_client.post(
        reverse("api-token"), {"email": unverified.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert "Confirm your email address" in str(response.json())


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"email": "not-an-email", "password": "x"}, "email"), ({"email": "a@b.co"}, "password")],
)
def test_token_bad_input_gets_field_errors(api_client, payload, field):
    response = api_client.post(reverse("api-token"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_me_requires_authentication(api_client):
    """401 with the token challenge, so a client knows to (re)authenticate."""
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    for response, detail in [
        (api_client.get(reverse("api-me")), "Authentication credentials were not provided."),
        (api_client.patch(reverse("api-me"), {"timezone": "UTC"}), None),
        (bad_token.get(reverse("api-me")), "Invalid token."),
    ]:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert detail is None or response.json() == {"detail": detail}


def test_me_get_shows_only_the_member(member_api, user, other_user):
    data = member_api.get(reverse("api-me")).json()
    assert data["id"] == user.pk
    assert data["email"] == user.email
    assert other_user.email not in str(data)


def test_me_patch_updates_display_name_and_timezone(member_api, user):
    response = member_api.patch(
        reverse("api-me"), {"display_name": "Ari", "timezone": "America/Chicago"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["timezone"] == "America/Chicago"
    user.refresh_from_db()
    assert (user.display_name, user.timezone) == ("Ari", "America/Chicago")


def test_me_patch_bad_timezone_is_a_field_error_and_changes_nothing(member_api, user):
    response = member_api.patch(
        reverse("api-me"), {"display_name": "Ari", "timezone": "Moon/Tranquility"}, format="json"
    )
    assert response.status_code == 400
    assert "timezone" in response.json()
    assert "not a time zone we know" in response.json()["timezone"][0]
    user.refresh_from_db()
    assert (user.display_name, user.timezone) != ("Ari", "Moon/Tranquility")
    assert user.timezone == "UTC"


def test_me_patch_cannot_change_email_or_id(member_api, user):
    response = member_api.patch(
        reverse("api-me"), {"email": "hijack@example.com", "id": 999999}, format="json"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "hijack@example.com"
    assert response.json()["id"] == user.pk
