"""Token authentication for the two busiest member endpoints, in one plain SQL query.

DRF's ``TokenAuthentication`` builds its ORM query on every request; on this
project's hardware that compilation costs about as much CPU as the rest of a cached
``me/stats`` answer. These classes accept exactly the same ``Authorization: Token
<key>`` header and the same tokens, read the token, its member and (for me/stats) the
member's stats snapshot with one precompiled statement, and build the model
instances from the row. Without the snapshot, the token's member comes from the
shared cache when there is one (``accounts.backends.token_user``), and for logging a
session from this process's memory, checked by the write itself. Everything else
keeps DRF's stock class.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from accounts.backends import (
    remember_token_member,
    remembered_token_member,
    token_user,
    write_ahead,
)
from accounts.models import User
from routines.models import MemberStatsSnapshot
from routines.selectors import stats_generation_pending

_SNAPSHOT_FIELDS = ("user_id", "generation", "computed_for", "timezone", "data", "updated_at")


@functools.cache
def _statement(with_snapshot: bool) -> tuple[list, list, str]:
    quote = connection.ops.quote_name
    user_fields = list(User._meta.concrete_fields)
    snapshot_fields = [MemberStatsSnapshot._meta.get_field(name) for name in _SNAPSHOT_FIELDS]
    columns = [f"u.{quote(f.column)}" for f in user_fields]
    joins = ""
    if with_snapshot:
        columns += [f"s.{quote(f.column)}" for f in snapshot_fields]
        joins = f" LEFT JOIN {quote(MemberStatsSnapshot._meta.db_table)} s ON s.user_id = u.id"
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t "  # noqa: S608
        f"JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id{joins} WHERE t.key = %s"
    )
    return user_fields, snapshot_fields if with_snapshot else [], sql


def _from_row(model: type, fields: list, values: tuple) -> Any:
    converted = [
        f.from_db_value(value, None, connection) if hasattr(f, "from_db_value") else value
        for f, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


class FastTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, read with one precompiled query."""

    with_snapshot = False

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        snapshot = None
        if self.with_snapshot:
            user, snapshot = self._read(key)
        else:  # from the cache when it is shared (see accounts.backends)
            user = token_user(key, lambda token_key: self._read(token_key)[0])
        if user is None:
            raise AuthenticationFailed("Invalid token.")
        if not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        token = Token(key=key, user=user)
        token.stats_snapshot = snapshot
        return user, token

    def _read(self, key: str) -> tuple[Any, Any]:
        """(user, stats snapshot or None), or (None, None) for an unknown token."""
        user_fields, snapshot_fields, sql = _statement(self.with_snapshot)
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None, None
        user = _from_row(User, user_fields, row[: len(user_fields)])
        snapshot_row = row[len(user_fields) :]
        if snapshot_fields and snapshot_row[0] is not None:
            return user, _from_row(MemberStatsSnapshot, snapshot_fields, snapshot_row)
        return user, None


class SessionLogTokenAuthentication(FastTokenAuthentication):
    """For logging a session (``SessionLogList``'s fast path), with no round trip of its
    own once this process has seen the token.

    Then the token's member is the one this process remembers
    (``accounts.backends.remembered_token_member``) and the token is marked
    ``verify_at_write``: the service's insert checks, in the same statement, that the
    token still belongs to that member, active and with the same zone and staff flag,
    and writes nothing otherwise (``routines.services.MemberChanged``). The member's
    stats generation is marked pending (``routines.selectors.stats_generation_pending``)
    without waiting for the cache's answer, so the write needs no round trip to forget
    it afterwards either. The first time, the token is read as usual and remembered.
    Anything but that fast path must use the other classes.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if not settings.CACHE_IS_SHARED or connection.vendor != "postgresql":
            return super().authenticate_credentials(key)
        member = remembered_token_member(key)
        if member is None:
            user, token = super().authenticate_credentials(key)
            remember_token_member(key, user)
            return user, token
        write_ahead(*stats_generation_pending(member.pk))
        token = Token(key=key, user=member)
        token.verify_at_write = True
        return member, token


class StatsTokenAuthentication(FastTokenAuthentication):
    """Also reads the member's stats snapshot (without its calendar) in the same query."""

    with_snapshot = True


class DocumentedAsTokenAuth:
    """View mixin: the OpenAPI schema shows these classes as the usual token scheme
    (the same header), instead of a second, identically named security scheme."""

    def get_authenticators(self) -> list:
        if getattr(self, "swagger_fake_view", False):
            from rest_framework.authentication import SessionAuthentication

            return [TokenAuthentication(), SessionAuthentication()]
        return super().get_authenticators()  # type: ignore[misc]
