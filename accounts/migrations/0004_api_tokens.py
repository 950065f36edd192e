"""API tokens a member can see and revoke, ended by a password change (``accounts.ApiToken``).

The data step copies every key of DRF's single-token table (``rest_framework.authtoken``,
table ``authtoken_token``) into ``ApiToken``, stored as its SHA-256 only, so existing API
clients keep working with the key they already have. Each copy is named "Created from the
API on <date>" (the old token's creation date) and is bound to its member's current
password, like a new token.

``rest_framework.authtoken`` leaves ``INSTALLED_APPS`` together with this migration, so its
model is not in the migration state (``apps.get_model("authtoken", "Token")`` would fail)
and this migration cannot depend on its migrations. The old table is therefore read with raw
SQL, and only when it exists: a database created after this change never had it. The old
table itself is left as it was (it is not this app's table, and reversing this migration
needs nothing from it); its rows still hold the old keys in clear, so drop it once no code
reads it any more.

Reversing drops ``ApiToken`` (the copies with it); the old table is untouched.
"""

import datetime as dt
import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"

# Frozen copies of what the running code computes, so that this migration keeps meaning
# what it meant when written: Django's salt for ``get_session_auth_hash()`` and the
# fingerprint of ``accounts.models.api_token_password_fingerprints``.
DJANGO_SESSION_AUTH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
FINGERPRINT_SALT = "kneadful.accounts.ApiToken.password"


def _fingerprint(password: str) -> str:
    session_hash = salted_hmac(
        DJANGO_SESSION_AUTH_SALT, password, algorithm="sha256"
    ).hexdigest()
    return hashlib.sha256(f"{FINGERPRINT_SALT}:{session_hash}".encode()).hexdigest()


def _aware(value: object) -> dt.datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, dt.datetime):
        return django.utils.timezone.now()
    if django.utils.timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def copy_drf_tokens(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    User = apps.get_model("accounts", "User")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.{quote('key')}, t.{quote('created')}, t.{quote('user_id')}, "  # noqa: S608
            f"u.{quote('password')} FROM {quote(OLD_TABLE)} t "
            f"JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')}"
        )
        rows = cursor.fetchall()
    tokens = []
    for key, created, user_id, password in rows:
        created = _aware(created)
        tokens.append(
            ApiToken(
                user_id=user_id,
                name=f"Created from the API on {created:%Y-%m-%d}",
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
                prefix=key[:8],
                password_fingerprint=_fingerprint(password),
                created_at=created,
            )
        )
    ApiToken.objects.bulk_create(tokens, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_reminders"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("prefix", models.CharField(editable=False, max_length=8, verbose_name="prefix")),
                ("password_fingerprint", models.CharField(editable=False, max_length=64)),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created"
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last used"),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "indexes": [
                    models.Index(fields=["user", "-created_at"], name="api_token_user_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="api_token_has_name",
                    )
                ],
            },
        ),
        migrations.RunPython(copy_drf_tokens, migrations.RunPython.noop, elidable=True),
    ]
