"""API: tokens for verified members (limited as the login form is), the member's own profile
at /api/v1/me/ and their tokens at /api/v1/me/tokens/."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_token_for_a_verified_account_authenticates_later_requests(api_client, user):
    response = api_client.post(
        reverse("api-token"), {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "id", "name", "created_at"}
    token = body["token"]
    assert len(token) >= 40
    assert body["name"] == f"Created from the API on {timezone.localdate():%Y-%m-%d}"
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.user == user
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiToken.objects.filter(pk=stored.pk).values().get())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_each_token_request_makes_a_new_named_token(api_client, user):
    first = api_client.post(
        reverse("api-token"),
        {"email": user.email, "password": PASSWORD, "name": "Watch app"},
        format="json",
    ).json()
    second = api_client.post(
        reverse("api-token"), {"email": user.email, "password": PASSWORD}, format="json"
    ).json()
    assert first["name"] == "Watch app"
    assert first["token"] != second["token"]
    for key in (first["token"], second["token"]):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get(reverse("api-me")).status_code == 200
    long_name = api_client.post(
        reverse("api-token"),
        {"email": user.email, "password": PASSWORD, "name": "x" * 101},
        format="json",
    )
    assert long_name.status_code == 400
    assert "name" in long_name.json()


def test_token_refused_for_a_wrong_password(api_client, user):
    response = api_client.post(
        reverse("api-token"), {"email": user.email, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "Unable to log in" in str(response.json())
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_token_refused_for_an_inactive_account(api_client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = api_client.post(
        reverse("api-token"), {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert "Unable to log in" in str(response.json())


def test_token_refused_until_the_email_is_verified(api_client):
    unverified = UserFactory(verified=False)
    response = api_client.post(
        reverse("api-token"), {"email": unverified.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert "Confirm your email address" in str(response.json())


# --- The token endpoint obeys the login form's limits ---------------------------------------

LOCKOUT = {"login_failed": "10/m/ip,3/5m/key"}


def token_request(client, email, password):
    return client.post(reverse("api-token"), {"email": email, "password": password}, format="json")


@override_settings(ACCOUNT_RATE_LIMITS=LOCKOUT)
def test_login_form_failures_lock_the_token_endpoint_and_back(client, api_client, user, other_user):
    for _ in range(3):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert token_request(api_client, user.email, PASSWORD).status_code == 429
    # The other way round: failures on the API lock the login form.
    for _ in range(3):
        token_request(api_client, other_user.email, "wrong")
    page = client.post(reverse("account_login"), {"login": other_user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in page.content.decode()


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "2/m/ip,5/5m/key"})
def test_token_endpoint_limits_failures_per_address_too(api_client, user, other_user):
    assert token_request(api_client, user.email, "wrong").status_code == 400
    assert token_request(api_client, other_user.email, "wrong").status_code == 400
    assert token_request(api_client, "nobody@example.com", "wrong").status_code == 429
    from_elsewhere = APIClient(REMOTE_ADDR="203.0.113.9")
    assert token_request(from_elsewhere, user.email, PASSWORD).status_code == 201


@override_settings(ACCOUNT_RATE_LIMITS=LOCKOUT)
def test_successful_token_requests_do_not_count_as_failures(api_client, user):
    for _ in range(5):
        assert token_request(api_client, user.email, PASSWORD).status_code == 201
    assert token_request(api_client, user.email, "wrong").status_code == 400


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


# --- /api/v1/me/tokens/ -------------------------------------------------------------------


def test_token_list_shows_the_members_working_tokens_without_keys(token_api, user, other_user):
    older, _ = api_token_create(user=user, name="Old script")
    older.created_at -= dt.timedelta(days=3)
    older.save(update_fields=["created_at"])
    api_token_create(user=other_user, name="Theirs")
    response = token_api.get(reverse("api-me-tokens"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["Test token", "Old script"]
    assert set(rows[0]) == {"id", "name", "prefix", "created_at", "last_used_at"}
    assert rows[0]["last_used_at"] is not None  # this very request used it
    assert rows[1]["last_used_at"] is None
    assert "key_hash" not in response.content.decode()


def test_token_delete_revokes_only_the_members_own(token_api, user, other_user):
    mine, mine_key = api_token_create(user=user, name="Phone")
    theirs, _ = api_token_create(user=other_user, name="Theirs")
    other = token_api.delete(reverse("api-me-token", args=[theirs.pk]))
    assert other.status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert token_api.delete(reverse("api-me-token", args=[mine.pk])).status_code == 204
    assert token_api.delete(reverse("api-me-token", args=[mine.pk])).status_code == 404
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {mine_key}")
    assert phone.get(reverse("api-me")).status_code == 401


def test_a_token_can_revoke_itself(token_api):
    own_id = token_api.get(reverse("api-me-tokens")).json()["results"][0]["id"]
    assert token_api.delete(reverse("api-me-token", args=[own_id])).status_code == 204
    assert token_api.get(reverse("api-me")).status_code == 401


def test_token_endpoints_need_authentication(api_client, user):
    token, _ = api_token_create(user=user)
    for response in [
        api_client.get(reverse("api-me-tokens")),
        api_client.delete(reverse("api-me-token", args=[token.pk])),
    ]:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_schema_documents_the_token_scheme_and_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/me/tokens/"]["get"]["security"]
    created = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"201", "400", "429"} <= set(created)
    assert "delete" in schema["paths"]["/api/v1/me/tokens/{id}/"]
