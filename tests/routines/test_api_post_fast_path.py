"""POST /api/v1/sessions/ from API clients skips DRF's request machinery
(``ApiClientFastPath`` and ``SessionLogList.fast`` in routines.api): it must be taken for
the plain case only, and give exactly DRF's answer in every case, lean or not."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from routines.api import SessionLogList
from routines.models import Series, SessionLog
from tests import settings as read_with_debug
from tests.drf import drf_calls
from tests.factories import RoutineFactory, SeriesFactory, UserFactory
from tests.factories import session_payload as payload

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SESSIONS = "/api/v1/sessions/"
STATS = "/api/v1/me/stats/"
# What differs between two logs made from the same input.
VOLATILE = {"id", "client_id", "created_at", "updated_at"}


# --- helpers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def drf_only() -> Iterator[None]:
    """Switch the lean path off: DRF's stock answer for the same request."""
    with mock.patch.object(SessionLogList, "fast", return_value=None):
        yield


@contextlib.contextmanager
def production_renderers() -> Iterator[None]:
    """The renderers views get under DEBUG=false (the class attribute is fixed at import,
    so overriding settings in a test would not reach the views)."""
    with mock.patch.object(APIView, "renderer_classes", [JSONRenderer]):
        yield


def token_for(user) -> str:
    return Token.objects.create(user=user).key


def fresh(body: dict) -> dict:
    """The same session under a new client_id."""
    return {**body, "client_id": str(uuid.uuid4())}


def post(
    client: Client,
    body: bytes | str | dict,
    token: str | None,
    content_type: str = "application/json",
    **headers: str,
):
    if isinstance(body, dict):
        body = json.dumps(body)
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    return client.generic("POST", SESSIONS, body, content_type=content_type, headers=headers)


def both_ways(client: Client, *args, **kwargs):
    """(lean-enabled answer, DRF calls it made, DRF-only answer) for the same request."""
    with drf_calls() as calls:
        lean = post(client, *args, **kwargs)
    with drf_only():
        drf = post(client, *args, **kwargs)
    return lean, len(calls), drf


def answer(response) -> tuple:
    return response.status_code, response["Content-Type"], response.json(), response.get("Allow")


def stable(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in VOLATILE}


# --- 1. the lean path is taken for the plain case, and only then ----------------------------------


def test_a_plain_token_json_post_never_enters_drf(client, user):
    token = token_for(user)
    routine = RoutineFactory()
    with drf_calls() as calls:
        response = post(client, payload(routine), token)
        repeat = post(client, payload(routine, client_id=response.json()["client_id"]), token)
        charset = post(
            client, payload(routine), token, content_type="application/json; charset=utf-8"
        )
    assert (response.status_code, repeat.status_code, charset.status_code) == (201, 200, 201)
    assert calls == []
    # The counter does see DRF: a GET of the list, and a POST the lean path turns down.
    with drf_calls() as calls:
        assert client.get(SESSIONS, headers={"Authorization": f"Token {token}"}).status_code == 200
        assert post(client, payload(routine, rating=0), token).status_code == 400
    assert calls == ["SessionLogList", "SessionLogList"]
    assert SessionLog.objects.filter(user=user).count() == 2


# --- 2. the same answer as DRF --------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/json, text/plain, */*"]
)
def test_plain_accept_headers_take_the_lean_path_with_drfs_answer(client, user, accept):
    routine = RoutineFactory()
    headers = {} if accept is None else {"Accept": accept}
    body = payload(routine)
    with drf_calls() as calls:
        lean = post(client, body, token_for(user), **headers)
    with drf_only():
        drf = post(client, fresh(body), Token.objects.get(user=user).key, **headers)
    assert calls == [] and lean.status_code == drf.status_code == 201
    assert answer(lean)[:2] == answer(drf)[:2] and answer(lean)[3] == answer(drf)[3]
    assert lean.get("Vary") == drf.get("Vary")
    assert stable(lean.json()) == stable(drf.json())


def test_lean_answer_equals_drf_create_and_the_stored_log(client):
    member = UserFactory(timezone="America/New_York")
    token = token_for(member)
    routine = RoutineFactory()
    extra = {
        "tension_before": 7,
        "tension_after": 2,
        "rating": 4,
        "sides": "both",
        "notes": "  left thumb sore ",
        "steps_completed": 2,
        "tension_map": {"hands": {"before": 7, "after": 3}},
    }
    body = payload(routine, **extra)
    with drf_calls() as calls:
        lean = post(client, body, token)
    assert calls == [] and lean.status_code == 201
    with drf_only():
        drf = post(client, fresh(body), token)
    assert drf.status_code == 201
    assert lean["Content-Type"] == drf["Content-Type"] == "application/json"
    assert lean["Allow"] == drf["Allow"] == "GET, POST, HEAD, OPTIONS"
    body = lean.json()
    assert stable(body) == stable(drf.json())
    assert body["id"] != drf.json()["id"]
    assert body["notes"] == "  left thumb sore " and body["duration_seconds"] == 600
    # The stored log, read back through DRF, has the same fields.
    fetched = client.get(f"{SESSIONS}{body['id']}/", headers={"Authorization": f"Token {token}"})
    assert fetched.status_code == 200 and fetched.json() == body


def test_lean_headers_equal_drf_headers_under_production_renderers(client, user):
    """With JSON as the only renderer (DEBUG=false) DRF adds no ``Vary: Accept``: then
    every header but the length matches."""
    token = token_for(user)
    routine = RoutineFactory()
    body = payload(routine)
    with production_renderers():
        with drf_calls() as calls:
            lean = post(client, body, token)
        with drf_only():
            drf = post(client, fresh(body), token)
    assert calls == [] and lean.status_code == drf.status_code == 201
    skip = {"Content-Length"}
    assert {k: v for k, v in lean.items() if k not in skip} == {
        k: v for k, v in drf.items() if k not in skip
    }


def test_a_repeat_client_id_answers_200_with_the_first_body(client, user):
    token = token_for(user)
    routine = RoutineFactory()
    first_payload = payload(routine, rating=5)
    first = post(client, first_payload, token)
    assert first.status_code == 201
    changed = {**first_payload, "notes": "changed", "rating": 1}
    with drf_calls() as calls:
        repeat = post(client, changed, token)
    assert calls == []
    assert repeat.status_code == 200 and repeat.json() == first.json()
    assert repeat["Allow"] == first["Allow"]
    with drf_only():
        drf_repeat = post(client, changed, token)
    assert answer(drf_repeat) == answer(repeat)
    assert SessionLog.objects.filter(user=user).count() == 1


# --- 3. everything else is DRF's own answer, and stores nothing ----------------------------------


def _future(minutes: int) -> str:
    return (dt.datetime.now(UTC) + dt.timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def _bad_fields(draft_routine) -> dict[str, tuple[dict, str]]:
    """Case -> (changes to a valid body, the field DRF names)."""
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=6)
    return {
        "tension_before_11": ({"tension_before": 11}, "tension_before"),
        "rating_0": ({"rating": 0}, "rating"),
        "ended_before_started": (
            {
                "started_at": start.isoformat(),
                "ended_at": (start - dt.timedelta(seconds=1)).isoformat(),
            },
            "ended_at",
        ),
        "longer_than_4_hours": (
            {
                "started_at": start.isoformat(),
                "ended_at": (start + dt.timedelta(hours=4, seconds=1)).isoformat(),
            },
            "ended_at",
        ),
        "started_in_the_future": (
            {"started_at": _future(60), "ended_at": _future(70)},
            "started_at",
        ),
        "unknown_routine": ({"routine": 987654321}, "routine"),
        "draft_routine": ({"routine": draft_routine.pk}, "routine"),
        "integer_client_id": ({"client_id": 12345}, "client_id"),
        "client_id_as_object": ({"client_id": {"hex": uuid.uuid4().hex}}, "client_id"),
        "missing_started_at": ({"started_at": None}, "started_at"),
    }


BAD_FIELDS = [
    "tension_before_11",
    "rating_0",
    "ended_before_started",
    "longer_than_4_hours",
    "started_in_the_future",
    "unknown_routine",
    "draft_routine",
    "integer_client_id",
    "client_id_as_object",
    "missing_started_at",
]


@pytest.mark.parametrize("case", BAD_FIELDS)
def test_each_bad_field_gets_drfs_field_errors(client, user, case):
    token = token_for(user)
    routine = RoutineFactory()
    draft = RoutineFactory(series=SeriesFactory(status=Series.Status.DRAFT, published_at=None))
    changes, field = _bad_fields(draft)[case]
    body = {**payload(routine), **changes}
    body = {key: value for key, value in body.items() if value is not None}
    lean, drf_count, drf = both_ways(client, body, token)
    assert drf_count == 1  # turned down by the lean path, handled by DRF from the start
    assert answer(lean) == answer(drf)
    assert lean.status_code == 400 and field in lean.json()
    assert not SessionLog.objects.exists()


def test_field_messages_for_the_cases_the_service_decides(client, user):
    token = token_for(user)
    routine = RoutineFactory()
    cases = _bad_fields(routine)
    before = post(client, {**payload(routine), **cases["ended_before_started"][0]}, token)
    assert before.json() == {"ended_at": ["The end cannot be before the start."]}
    long = post(client, {**payload(routine), **cases["longer_than_4_hours"][0]}, token)
    assert long.json() == {"ended_at": ["A session lasts at most 4 hours."]}
    assert not SessionLog.objects.exists()


def test_a_staff_member_may_log_a_draft_routine_on_the_lean_path(client, staff_user):
    draft = RoutineFactory(series=SeriesFactory(status=Series.Status.DRAFT, published_at=None))
    with drf_calls() as calls:
        response = post(client, payload(draft), token_for(staff_user))
    assert calls == [] and response.status_code == 201
    assert SessionLog.objects.get().routine == draft


def test_an_unknown_token_gets_drfs_invalid_token(client, user):
    routine = RoutineFactory()
    lean, drf_count, drf = both_ways(client, payload(routine), "0" * 40)
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code == 401 and lean.json() == {"detail": "Invalid token."}
    assert lean["WWW-Authenticate"] == drf["WWW-Authenticate"] == "Token"
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize("header", ["Token", "Token a b", "Bearer {token}", "Token {token}x"])
def test_malformed_authorization_headers_get_drfs_answer(client, user, header):
    key = token_for(user)
    routine = RoutineFactory()
    headers = {"Authorization": header.format(token=key)}
    lean, drf_count, drf = both_ways(client, payload(routine), None, **headers)
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code == 401
    assert not SessionLog.objects.exists()


def test_no_token_at_all_gets_drfs_answer(client):
    lean, drf_count, drf = both_ways(client, payload(RoutineFactory()), None)
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.json() == {"detail": "Authentication credentials were not provided."}
    assert not SessionLog.objects.exists()


def test_an_inactive_members_token_gets_drfs_answer(client, user):
    token = token_for(user)
    user.is_active = False
    user.save()
    lean, drf_count, drf = both_ways(client, payload(RoutineFactory()), token)
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code == 401
    assert lean.json() == {"detail": "User inactive or deleted."}
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"routine": 1, ', "JSON parse error"),
        (b"not json", "JSON parse error"),
        (b"\xff\xfe{}", "JSON parse error"),
        (b"", None),
        (b"null", None),
        (b"[1, 2, 3]", None),
        (b'"text"', None),
        (b"42", None),
    ],
)
def test_bodies_that_are_not_a_json_object_get_drfs_answer(client, user, body, expected):
    lean, drf_count, drf = both_ways(client, body, token_for(user))
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code == 400
    if expected:
        assert lean.json()["detail"].startswith(expected)
    if body == b"[1, 2, 3]":
        assert lean.json() == {
            "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
        }
    assert not SessionLog.objects.exists()


def test_a_json_list_of_logs_is_refused_as_drf_does(client, user):
    routine = RoutineFactory()
    lean, drf_count, drf = both_ways(client, json.dumps([payload(routine)]), token_for(user))
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code == 400 and "non_field_errors" in lean.json()
    assert not SessionLog.objects.exists()


def test_form_encoded_posts_are_still_accepted_by_drf(client, user):
    """DRF's default parsers take form data on this view: the lean path leaves it alone."""
    token = token_for(user)
    routine = RoutineFactory()
    form = payload(routine, rating=3)
    with drf_calls() as calls:
        lean = post(client, urlencode(form), token, "application/x-www-form-urlencoded")
    assert calls == ["SessionLogList"] and lean.status_code == 201
    with drf_only():
        drf = post(
            client,
            urlencode({**form, "client_id": str(uuid.uuid4())}),
            token,
            "application/x-www-form-urlencoded",
        )
    assert drf.status_code == 201
    assert stable(lean.json()) == stable(drf.json()) and lean.json()["rating"] == 3
    assert lean["Allow"] == drf["Allow"]
    assert SessionLog.objects.filter(user=user).count() == 2
    bad, drf_count, drf_bad = both_ways(
        client, urlencode({**form, "rating": 0}), token, "application/x-www-form-urlencoded"
    )
    assert drf_count == 1 and answer(bad) == answer(drf_bad) and bad.status_code == 400
    assert SessionLog.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/jsonx"])
def test_a_missing_or_other_content_type_gets_drfs_answer(client, user, content_type):
    routine = RoutineFactory()
    body = json.dumps(payload(routine))
    lean, drf_count, drf = both_ways(client, body, token_for(user), content_type)
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code in {400, 415}
    assert not SessionLog.objects.exists()


# --- 4. a browser session: CSRF-checked on its own, and a token comes first ----------------------


def test_a_browser_session_alone_is_checked_for_csrf(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    routine = RoutineFactory()
    lean, drf_count, drf = both_ways(browser, payload(routine), None)
    assert drf_count == 1 and answer(lean) == answer(drf)
    assert lean.status_code == 403 and lean.json()["detail"].startswith("CSRF Failed")
    assert not SessionLog.objects.exists()
    # With the CSRF token, the session's member logs it.
    secret = "a" * 32
    browser.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = post(browser, payload(routine), None, **{"X-CSRFToken": secret})
    assert response.status_code == 201, response.content
    assert SessionLog.objects.get().user == user


def test_a_token_sent_with_a_browser_session_is_the_one_used(user, other_user):
    """DRF's order here: token first. A page cannot make a browser send another site's
    Authorization header, so the token needs no CSRF check; the token's member logs it."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    other_token = token_for(other_user)
    routine = RoutineFactory()
    with drf_calls() as calls:
        response = post(browser, payload(routine), other_token)
    assert calls == ["SessionLogList"]  # a signed-in browser always takes DRF's path
    assert response.status_code == 201, response.content
    log = SessionLog.objects.get()
    assert log.user == other_user and log.source == SessionLog.Source.API
    bad = post(browser, payload(routine), "0" * 40)
    assert bad.status_code == 401 and bad.json() == {"detail": "Invalid token."}


# --- 5. the stored log --------------------------------------------------------------------------


def test_the_lean_log_is_the_members_in_their_zone_and_counts_everywhere(client):
    member = UserFactory(timezone="Pacific/Auckland")  # UTC+13 in November
    token = token_for(member)
    routine = RoutineFactory()
    auth = {"Authorization": f"Token {token}"}
    browser = Client()
    browser.force_login(member)
    with time_machine.travel(dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC), tick=True):
        assert client.get(STATS, headers=auth).json()["sessions_total"] == 0
        empty = browser.get(reverse("routines:dashboard")).content.decode()
        assert "Welcome," in empty
        started = dt.datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
        body = {
            "routine": routine.pk,
            "started_at": started.isoformat(),
            "ended_at": (started + dt.timedelta(minutes=10)).isoformat(),
        }
        with drf_calls() as calls:
            response = post(client, body, token)
        assert calls == [] and response.status_code == 201
        log = SessionLog.objects.get()
        assert log.user == member and log.source == SessionLog.Source.API == "api"
        assert log.timezone == "Pacific/Auckland"
        assert log.local_date == dt.date(2026, 11, 21)  # not the UTC date
        assert response.json()["local_date"] == "2026-11-21"
        assert response.json()["source"] == "api"
        assert log.steps_total == 3 and log.steps_completed == 3
        stats = client.get(STATS, headers=auth).json()
        assert stats["sessions_total"] == 1 and stats["minutes_total"] == 10
        page = browser.get(reverse("routines:dashboard")).content.decode()
        assert "Welcome," not in page
        assert "session in all · 10 min" in page
        # Another member sees nothing of it.
        other = token_for(UserFactory())
        assert (
            client.get(STATS, headers={"Authorization": f"Token {other}"}).json()["sessions_total"]
            == 0
        )


# --- 6. no browsable API in production ----------------------------------------------------------


def test_the_browsable_api_is_there_only_while_debugging(client, user):
    """The test settings are read with DEBUG=true (pytest-django turns ``settings.DEBUG``
    off afterwards, too late for REST_FRAMEWORK): HTML for a browser. Production: JSON."""
    assert read_with_debug.DEBUG is True
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]
    auth = {"Authorization": f"Token {token_for(user)}"}
    html = client.get(SESSIONS, headers={**auth, "Accept": "text/html"})
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    with production_renderers():
        browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        as_browser = client.get(SESSIONS, headers={**auth, "Accept": browser_accept})
        assert as_browser.status_code == 200
        assert as_browser["Content-Type"] == "application/json"
        assert as_browser.json()["count"] == 0
        html_only = client.get(SESSIONS, headers={**auth, "Accept": "text/html"})
        assert html_only.status_code == 406
        assert html_only.json() == {"detail": "Could not satisfy the request Accept header."}


PRODUCTION_CHECK = """
import django, json
django.setup()
from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from routines.api import SessionLogList
factory = APIRequestFactory()
answers = {}
for accept in ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8", "application/json"]:
    response = SessionLogList.as_view()(factory.get("/api/v1/sessions/", HTTP_ACCEPT=accept))
    response.render()
    answers[accept] = [response.status_code, response["Content-Type"], response.content.decode()]
def names(classes):
    return [c.__module__ + "." + c.__name__ for c in classes]
print(json.dumps({
    "debug": settings.DEBUG,
    "setting": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
    "api_settings": names(api_settings.DEFAULT_RENDERER_CLASSES),
    "view": names(SessionLogList.renderer_classes),
    "answers": answers,
}))
"""


def test_production_settings_render_json_only(tmp_path: Path):
    """Settings are read at import: a fresh interpreter with DEBUG=false."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wellness.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "SITE_URL": "https://kneadful.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "KNEADFUL_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_CHECK],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    json_only = ["rest_framework.renderers.JSONRenderer"]
    assert found["debug"] is False
    assert found["setting"] == found["api_settings"] == found["view"] == json_only
    answers = found["answers"]
    assert answers["text/html"][:2] == [406, "application/json"]
    assert json.loads(answers["text/html"][2]) == {
        "detail": "Could not satisfy the request Accept header."
    }
    for accept in ["text/html,application/xhtml+xml,*/*;q=0.8", "application/json"]:
        status, content_type, _ = answers[accept]
        assert (status, content_type) == (401, "application/json")


# --- content negotiation and encodings: DRF's answer too ----------------------------------------


@pytest.mark.parametrize(
    ("accept", "query", "lean_path"),
    [
        (None, "", True),
        ("*/*", "", True),
        ("application/json", "", True),
        ("text/html", "", False),
        ("application/xml", "", False),
        ("application/json; indent=4", "", False),
        ("application/json, */*", "", False),
        (None, "?format=api", False),
        (None, "?format=xml", False),
        (None, "?format=json", False),
    ],
)
def test_what_the_client_accepts_gets_drfs_answer(client, user, accept, query, lean_path):
    """Production renderers: DRF answers 406 for an Accept it cannot satisfy and 404 for
    an unknown ?format= (storing nothing), and pretty-prints for indent=4."""
    token = token_for(user)
    body = payload(RoutineFactory())
    headers = {"Authorization": f"Token {token}"}
    if accept is not None:
        headers["Accept"] = accept

    def send(sent: dict) -> tuple:
        response = client.generic(
            "POST", SESSIONS + query, json.dumps(sent), "application/json", headers=headers
        )
        return response.status_code, response["Content-Type"], response.content

    with production_renderers():
        with drf_calls() as calls:
            lean = send(body)
        with drf_only():
            drf = send(fresh(body))
    assert (calls == []) is lean_path
    assert lean[:2] == drf[:2]
    if lean[0] == 201:
        assert stable(json.loads(lean[2])) == stable(json.loads(drf[2]))
        assert (b"\n" in lean[2]) == (b"\n" in drf[2])  # indented the same way
    else:
        assert lean[2] == drf[2]
    assert SessionLog.objects.count() == (2 if drf[0] == 201 else 0)
    if accept in {"text/html", "application/xml"}:
        assert drf[0] == 406
    if query in {"?format=api", "?format=xml"}:
        assert drf[0] == 404


def test_a_non_utf8_charset_is_decoded_as_drf_does(client, user):
    token = token_for(user)
    body = payload(RoutineFactory(), notes="Ã©")  # latin-1 bytes that are also valid UTF-8
    content_type = "application/json; charset=latin-1"

    def encoded(sent: dict) -> bytes:
        return json.dumps(sent, ensure_ascii=False).encode("latin-1")

    with drf_only():
        drf = post(client, encoded(fresh(body)), token, content_type)
    with drf_calls() as calls:
        lean = post(client, encoded(body), token, content_type)
    assert calls == []
    assert drf.status_code == lean.status_code == 201
    assert lean.json()["notes"] == drf.json()["notes"] == "Ã©"
    utf8 = post(client, json.dumps(fresh(body), ensure_ascii=False).encode(), token)
    assert utf8.status_code == 201 and utf8.json()["notes"] == "Ã©"
