"""GET /api/v1/me/stats/ from API clients skips DRF's request machinery
(``ApiClientFastPath`` and ``MemberStatsView.fast`` in routines.api): taken only for the
plain token case, with exactly DRF's answer, the member's own and current figures."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from unittest import mock

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from routines.api import MemberStatsView
from routines.services import session_log_create
from tests.drf import drf_calls
from tests.factories import RoutineFactory

pytestmark = pytest.mark.django_db

STATS = "/api/v1/me/stats/"
SESSIONS = "/api/v1/sessions/"


@contextlib.contextmanager
def drf_only() -> Iterator[None]:
    with mock.patch.object(MemberStatsView, "fast", return_value=None):
        yield


def log_sessions(user, count: int = 1) -> None:
    """Logs through the service (which keeps the member's figures current)."""
    routine = RoutineFactory()
    for n in range(count):
        start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=n + 1)
        session_log_create(
            user=user, routine=routine, started_at=start, ended_at=start + dt.timedelta(minutes=5)
        )


def token_for(user) -> str:
    return Token.objects.create(user=user).key


def get(client: Client, token: str | None, path: str = STATS, **headers: str):
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    return client.get(path, headers=headers)


def both_ways(client: Client, *args, **kwargs):
    """(fast-enabled answer, DRF calls it made, DRF-only answer) for the same request."""
    with drf_calls() as calls:
        fast = get(client, *args, **kwargs)
    with drf_only():
        drf = get(client, *args, **kwargs)
    return fast, len(calls), drf


def headers_of(response) -> dict:
    return {k: v for k, v in response.items() if k.lower() != "content-length"}


def same_answer(one, other) -> bool:
    """Status, headers (any order) and JSON (parsed: the stored snapshot comes back from
    PostgreSQL's jsonb with its keys in another order). The browsable API's HTML carries
    a fresh CSRF token, so for it the status and headers only."""
    if (one.status_code, headers_of(one)) != (other.status_code, headers_of(other)):
        return False
    if one["Content-Type"] == "application/json":
        return one.json() == other.json()
    return True


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/json, text/plain, */*"]
)
def test_a_plain_token_get_takes_the_fast_path_with_drfs_exact_answer(client, user, accept):
    log_sessions(user)
    token = token_for(user)
    extra = {} if accept is None else {"Accept": accept}
    fast, drf_count, drf = both_ways(client, token, **extra)
    assert drf_count == 0
    assert fast.status_code == 200
    assert fast.json()["sessions_total"] == 1
    assert same_answer(fast, drf), (headers_of(fast), headers_of(drf))


def test_the_counter_sees_drf_when_the_fast_path_is_off(client, user):
    token = token_for(user)
    with drf_only(), drf_calls() as calls:
        assert get(client, token).status_code == 200
    assert calls == ["MemberStatsView"]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (STATS + "?include=heatmap", {}),
        (STATS, {"Accept": "text/html"}),
    ],
    ids=["heatmap", "text_html"],
)
def test_query_strings_and_other_accepts_go_through_drf(client, user, path, headers):
    log_sessions(user)
    token = token_for(user)
    fast, drf_count, drf = both_ways(client, token, path=path, **headers)
    assert drf_count >= 1
    assert same_answer(fast, drf)
    if path.endswith("heatmap"):
        assert fast.status_code == 200 and "heatmap" in fast.json()
        assert "heatmap" not in get(client, token).json()


def test_an_invalid_token_gets_drfs_answer(client):
    fast, drf_count, drf = both_ways(client, "not-a-real-token")
    assert drf_count >= 1 and same_answer(fast, drf)
    assert fast.status_code == 401
    assert fast.json() == {"detail": "Invalid token."}


def test_an_inactive_members_token_gets_drfs_answer(client, user):
    token = token_for(user)
    user.is_active = False
    user.save()
    fast, drf_count, drf = both_ways(client, token)
    assert drf_count >= 1 and same_answer(fast, drf)
    assert fast.status_code == 401
    assert fast.json() == {"detail": "User inactive or deleted."}


def test_a_browser_session_goes_through_drf(client, user):
    log_sessions(user)
    client.force_login(user)
    fast, drf_count, drf = both_ways(client, None)
    assert drf_count >= 1 and same_answer(fast, drf)
    assert fast.status_code == 200 and fast.json()["sessions_total"] == 1


def test_a_session_with_another_members_token_uses_the_tokens_member(client, user, other_user):
    log_sessions(user)
    log_sessions(other_user, 3)
    other_token = token_for(other_user)
    client.force_login(user)
    fast, drf_count, drf = both_ways(client, other_token)
    assert drf_count >= 1 and same_answer(fast, drf)
    assert fast.json()["sessions_total"] == 3  # token first, as in DRF's settings


def test_each_member_gets_their_own_figures(client, user, other_user):
    log_sessions(user)
    log_sessions(other_user, 2)
    mine, theirs = token_for(user), token_for(other_user)
    with drf_calls() as calls:
        assert get(client, mine).json()["sessions_total"] == 1
        assert get(client, theirs).json()["sessions_total"] == 2
        assert get(client, mine).json()["sessions_total"] == 1
    assert calls == []


def test_a_posted_log_shows_on_the_next_fast_get(client, user):
    token = token_for(user)
    routine = RoutineFactory()
    with drf_calls() as calls:
        assert get(client, token).json()["sessions_total"] == 0
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
        body = {
            "client_id": str(uuid.uuid4()),
            "routine": routine.pk,
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=10)).isoformat(),
        }
        created = client.post(
            SESSIONS,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Token {token}"},
        )
        assert created.status_code == 201
        after = get(client, token)
    assert calls == []
    assert after.json()["sessions_total"] == 1
    with drf_only():
        assert same_answer(after, get(client, token))


@pytest.mark.parametrize("path", [STATS, STATS + "?include=heatmap"])
def test_the_figures_come_in_the_documented_order_fresh_or_stored(client, user, path):
    """Byte-stable answers: the first (computed) and the next (from the stored snapshot,
    jsonb) list the fields in MemberStatsSerializer's order, and all of them."""
    from routines.serializers import MemberStatsSerializer

    log_sessions(user)
    token = token_for(user)
    documented = list(MemberStatsSerializer._declared_fields)
    heatmap_only = {"heatmap", "rest_days"}
    expected = [n for n in documented if "heatmap" in path or n not in heatmap_only]
    first, second = get(client, token, path), get(client, token, path)
    assert first.status_code == second.status_code == 200
    assert list(first.json()) == list(second.json()) == expected
    assert first.content == second.content


def test_ordering_the_figures_drops_nothing(user):
    from routines.api import _in_documented_order
    from routines.selectors import member_stats_json

    log_sessions(user, 2)
    for _ in range(2):  # computed, then from the stored snapshot
        raw = member_stats_json(user=user, heatmap=True)
        ordered = _in_documented_order(raw)
        assert ordered == raw  # dict equality ignores order: same keys, same values
        for name in ["by_body_part", "weekly_minutes", "heatmap"]:
            assert raw[name] and [set(item) for item in ordered[name]] == [
                set(item) for item in raw[name]
            ]
