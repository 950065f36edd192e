"""API tokens: services, selector, authentication (password changes, deactivation, last use)
and the migration that copies DRF's tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
from types import SimpleNamespace

import pytest
from allauth.account.signals import password_reset, password_set
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User, api_token_password_fingerprints
from accounts.selectors import api_tokens_for
from accounts.services import (
    api_token_create,
    api_token_revoke,
    api_token_use_record,
    api_tokens_revoke,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-fresh-long-passphrase"


def api_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_updates(queries: CaptureQueriesContext) -> list[str]:
    table = ApiToken._meta.db_table
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]


# --- Services and selector -----------------------------------------------------------------


def test_create_returns_the_key_once_and_stores_only_its_hash(user):
    token, key = api_token_create(user=user, name="  Garmin sync  ")
    assert token.name == "Garmin sync"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert token.last_used_at is None
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(key in str(value) for value in row.values())
    assert api_token_create(user=user)[1] != key


def test_create_names_a_token_by_the_members_local_date(user):
    user.timezone = "Pacific/Kiritimati"  # UTC+14: often already tomorrow
    token, _ = api_token_create(user=user)
    local_day = timezone.localtime(token.created_at, user.zone).date()
    assert token.name == f"Created from the API on {local_day:%Y-%m-%d}"


def test_create_refuses_a_name_longer_than_the_column(user):
    with pytest.raises(ValidationError) as exc:
        api_token_create(user=user, name="x" * 101)
    assert "name" in exc.value.message_dict
    assert not ApiToken.objects.exists()


def test_revoke_only_the_members_own_token(user, other_user):
    mine, _ = api_token_create(user=user)
    theirs, _ = api_token_create(user=other_user)
    assert api_token_revoke(user=user, token_id=theirs.pk) is False
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert api_token_revoke(user=user, token_id=mine.pk) is True
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    assert api_token_revoke(user=user, token_id=mine.pk) is False


def test_revoke_all_of_a_members_tokens(user, other_user):
    api_token_create(user=user)
    api_token_create(user=user)
    theirs, _ = api_token_create(user=other_user)
    assert api_tokens_revoke(user=user) == 2
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_selector_lists_working_tokens_newest_first(user, other_user):
    old, _ = api_token_create(user=user, name="old")
    old.created_at -= dt.timedelta(days=1)
    old.save(update_fields=["created_at"])
    api_token_create(user=user, name="new")
    api_token_create(user=other_user, name="theirs")
    assert [t.name for t in api_tokens_for(user=user)] == ["new", "old"]
    user.set_password(NEW_PASSWORD)
    user.save()
    assert list(api_tokens_for(user=user)) == []  # ended by the password change
    # The next token made deletes the ended ones.
    api_token_create(user=user, name="after")
    assert list(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == ["after"]


def test_last_use_is_written_at_most_once_a_minute(user):
    token, _ = api_token_create(user=user)
    now = timezone.now()
    assert api_token_use_record(token=token, now=now) is True
    with CaptureQueriesContext(connection) as queries:
        assert api_token_use_record(token=token, now=now + dt.timedelta(seconds=59)) is False
    assert queries.captured_queries == []  # decided on the loaded token, no statement
    # Another process that loaded the token earlier: the UPDATE's condition stops it.
    stale = ApiToken.objects.get(pk=token.pk)
    stale.last_used_at = None
    assert api_token_use_record(token=stale, now=now + dt.timedelta(seconds=30)) is False
    later = now + dt.timedelta(seconds=61)
    assert api_token_use_record(token=token, now=later) is True
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later


# --- Authentication --------------------------------------------------------------------------


def test_a_token_authenticates_its_member_and_records_the_use(user):
    token, key = api_token_create(user=user)
    response = api_with(key).get(reverse("api-me"))
    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_requests_within_a_minute_do_not_write_the_last_use(user):
    token, key = api_token_create(user=user)
    client = api_with(key)
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("api-me")).status_code == 200
    assert len(token_updates(first)) == 1
    with CaptureQueriesContext(connection) as second:
        assert client.get(reverse("api-me")).status_code == 200
    assert token_updates(second) == []
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - dt.timedelta(seconds=61)
    )
    with CaptureQueriesContext(connection) as third:
        assert client.get(reverse("api-me")).status_code == 200
    assert len(token_updates(third)) == 1


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "Bearer {key}", "{key}"])
def test_malformed_or_unknown_credentials_are_401_with_the_token_challenge(user, header):
    _, key = api_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(key=key))
    response = client.get(reverse("api-me"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_hash_is_not_a_key(user):
    token, _ = api_token_create(user=user)
    assert api_with(token.key_hash).get(reverse("api-me")).status_code == 401


def test_password_change_through_allauth_ends_every_token(client, user):
    _, first = api_token_create(user=user)
    _, second = api_token_create(user=user)
    assert api_with(first).get(reverse("api-me")).status_code == 200
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    for key in (first, second):
        refused = api_with(key).get(reverse("api-me"))
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"] == "Token"
    assert not ApiToken.objects.filter(user=user).exists()  # allauth's signal deleted them


def test_password_set_in_a_shell_ends_every_token(user):
    token, key = api_token_create(user=user)
    client = api_with(key)
    assert client.get(reverse("api-me")).status_code == 200
    member = User.objects.get(pk=user.pk)
    member.set_password(NEW_PASSWORD)
    member.save()
    assert client.get(reverse("api-me")).status_code == 401
    assert ApiToken.objects.filter(pk=token.pk).exists()  # still there, but refused
    # Setting the same password again is still a change (a new salt): the token stays dead.
    member.set_password(PASSWORD)
    member.save()
    assert client.get(reverse("api-me")).status_code == 401


def test_password_change_in_the_admin_ends_every_token(client, user):
    _, key = api_token_create(user=user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert api_with(key).get(reverse("api-me")).status_code == 401


@pytest.mark.parametrize("signal", [password_set, password_reset])
def test_allauth_password_set_and_reset_delete_the_tokens(user, other_user, signal):
    api_token_create(user=user)
    theirs, _ = api_token_create(user=other_user)
    signal.send(sender=User, request=None, user=user)
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_deactivation_refuses_the_next_request(user):
    _, key = api_token_create(user=user)
    client = api_with(key)
    assert client.get(reverse("api-me")).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(reverse("api-me"))
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_deleted_member_has_no_tokens(user):
    _, key = api_token_create(user=user)
    User.objects.filter(pk=user.pk).delete()
    assert not ApiToken.objects.exists()
    assert api_with(key).get(reverse("api-me")).status_code == 401


def test_tokens_survive_a_secret_key_rotation_as_sessions_do(user, settings):
    token, key = api_token_create(user=user)
    old_secret = settings.SECRET_KEY
    with override_settings(SECRET_KEY="a-new-secret-key-" + "x" * 40):
        assert api_with(key).get(reverse("api-me")).status_code == 401  # no fallback given
        with override_settings(SECRET_KEY_FALLBACKS=[old_secret]):
            assert api_with(key).get(reverse("api-me")).status_code == 200
        # Renewed under the new key, so it works once the fallback is gone.
        assert api_with(key).get(reverse("api-me")).status_code == 200
        token.refresh_from_db()
        assert token.password_fingerprint == api_token_password_fingerprints(user)[0]


# --- The migration that copies DRF's tokens -------------------------------------------------

migration = importlib.import_module("accounts.migrations.0004_api_tokens")


def test_migration_copies_drf_tokens_so_old_keys_keep_working(user, other_user):
    old_key = "a" * 40
    created = timezone.now() - dt.timedelta(days=400)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) PRIMARY KEY, "
            f"{quote('created')} timestamp with time zone NOT NULL, {quote('user_id')} bigint)"
        )
        cursor.execute(
            f"INSERT INTO {quote('authtoken_token')} VALUES (%s, %s, %s), (%s, %s, %s)",
            [old_key, created, user.pk, "b" * 40, created, other_user.pk],
        )
    migration.copy_drf_tokens(apps, SimpleNamespace(connection=connection))

    copied = ApiToken.objects.get(user=user)
    assert copied.key_hash == hashlib.sha256(old_key.encode()).hexdigest()
    assert copied.prefix == old_key[:8]
    assert copied.created_at == created
    assert copied.name == f"Created from the API on {created:%Y-%m-%d}"
    assert ApiToken.objects.count() == 2
    client = api_with(old_key)
    assert client.get(reverse("api-me")).json()["id"] == user.pk
    assert [t.pk for t in api_tokens_for(user=user)] == [copied.pk]
    # Bound to the password like a new token.
    user.set_password(NEW_PASSWORD)
    user.save()
    assert client.get(reverse("api-me")).status_code == 401


def test_the_next_migration_drops_the_clear_keys_once_copied(user):
    drop = importlib.import_module("accounts.migrations.0007_drop_plaintext_drf_tokens")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) PRIMARY KEY, "
            f"{quote('created')} timestamp with time zone NOT NULL, {quote('user_id')} bigint)"
        )
        cursor.execute(
            f"INSERT INTO {quote('authtoken_token')} VALUES (%s, %s, %s)",
            ["c" * 40, timezone.now(), user.pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now()],
        )
    editor = SimpleNamespace(connection=connection)
    migration.copy_drf_tokens(apps, editor)
    drop.drop_plaintext_tokens(apps, editor)
    drop.drop_plaintext_tokens(apps, editor)  # a database without the table: nothing to do

    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", ["authtoken"])
        assert cursor.fetchone()[0] == 0
    assert api_with("c" * 40).get(reverse("api-me")).json()["id"] == user.pk


def test_migration_does_nothing_without_drf_tables(user):
    assert "authtoken_token" not in connection.introspection.table_names()
    migration.copy_drf_tokens(apps, SimpleNamespace(connection=connection))
    assert not ApiToken.objects.exists()


# --- Export and admin ------------------------------------------------------------------------


def test_export_lists_the_tokens_without_keys(member_client, user):
    token, key = api_token_create(user=user, name="Sync")
    text = member_client.get(reverse("accounts:export")).content.decode()
    data = json.loads(text)
    assert data["api_tokens"] == [
        {
            "name": "Sync",
            "prefix": token.prefix,
            "created_at": token.created_at.isoformat(),
            "last_used_at": None,
        }
    ]
    assert key not in text and token.key_hash not in text


def test_staff_see_and_delete_tokens_in_the_admin_but_cannot_make_one(client, user):
    token, key = api_token_create(user=user, name="Leaked")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "Leaked" in listing and key not in listing and token.key_hash not in listing
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    delete = reverse("admin:accounts_apitoken_delete", args=[token.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert api_with(key).get(reverse("api-me")).status_code == 401
