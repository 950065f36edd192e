"""Writes about API tokens: create (the key is returned once), revoke, record use."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone as django_timezone
from django.utils.translation import gettext

from accounts.models import (
    ApiToken,
    User,
    api_token_key_hash,
    api_token_password_fingerprints,
)

# ``last_used_at`` is written at most this often per token, so most requests write nothing.
API_TOKEN_USE_INTERVAL = dt.timedelta(seconds=60)


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user`` and its raw key, which is not stored and cannot be shown again.

    Without a name it is called "Created from the API on <the member's local date>". The
    member's tokens that a password change has already ended are deleted on the way.
    """
    name = name.strip()
    now = django_timezone.now()
    if not name:
        day = django_timezone.localtime(now, user.zone).date().isoformat()
        name = gettext("Created from the API on %(date)s") % {"date": day}
    if len(name) > ApiToken.NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": gettext("Use at most %(max)d characters.") % {"max": ApiToken.NAME_MAX_LENGTH}}
        )
    fingerprints = api_token_password_fingerprints(user)
    ApiToken.objects.filter(user=user).exclude(password_fingerprint__in=fingerprints).delete()
    key = secrets.token_hex(24)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=api_token_key_hash(key),
        prefix=key[: ApiToken.PREFIX_LENGTH],
        password_fingerprint=fingerprints[0],
        created_at=now,
    )
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the member's own tokens; False (and nothing done) for any other id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def api_tokens_revoke(*, user: User) -> int:
    """Delete every token of the member (their password changed); how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_token_use_record(*, token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Set ``last_used_at`` to now if it is unset or older than ``API_TOKEN_USE_INTERVAL``.

    Checked first on the loaded token (no statement at all on most requests), then by the
    UPDATE's own condition, so concurrent requests write it at most once per interval.
    """
    now = now or django_timezone.now()
    since = now - API_TOKEN_USE_INTERVAL
    if token.last_used_at is not None and token.last_used_at >= since:
        return False
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=since))
        .update(last_used_at=now)
    )
    if updated:
        token.last_used_at = now
    return bool(updated)


def api_token_fingerprint_renew(*, token: ApiToken, fingerprint: str) -> None:
    """Bind the token to the member's password under the current ``SECRET_KEY``.

    For a token that matched through ``SECRET_KEY_FALLBACKS`` (the key was rotated), as
    Django renews a session's hash then, so it keeps working once the fallback is removed.
    """
    ApiToken.objects.filter(pk=token.pk, password_fingerprint=token.password_fingerprint).update(
        password_fingerprint=fingerprint
    )
    token.password_fingerprint = fingerprint
