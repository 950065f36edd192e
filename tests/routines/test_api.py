"""REST API v1: library, session logs (own only, idempotent), progress, rest and plan."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from routines.models import (
    DailyActivity,
    Favourite,
    RestDay,
    SafetyAcknowledgement,
    Series,
    SessionLog,
    Step,
)
from routines.services import session_log_create
from tests.factories import BodyPartFactory, RoutineFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SESSIONS = "/api/v1/sessions/"


def _times(minutes_ago=30, minutes=10):
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(minutes=minutes_ago)
    return start.isoformat(), (start + dt.timedelta(minutes=minutes)).isoformat()


def _payload(routine, **extra):
    started, ended = _times()
    return {"routine": routine.pk, "started_at": started, "ended_at": ended, **extra}


# --- Library ------------------------------------------------------------------------------------


def test_library_is_public_and_hides_drafts(api_client, staff_user, editor_user):
    hands = BodyPartFactory(slug="hands", name="Hands")
    feet = BodyPartFactory(slug="feet", name="Feet")
    SeriesFactory(title="Calm hands", body_parts=[hands], estimated_minutes=8)
    SeriesFactory(title="Happy feet", body_parts=[feet], estimated_minutes=20)
    SeriesFactory(title="Secret draft", status=Series.Status.DRAFT, published_at=None)
    body = api_client.get("/api/v1/series/").json()
    assert [s["title"] for s in body["results"]] == ["Calm hands", "Happy feet"]
    assert body["results"][0]["body_parts"] == [{"slug": "hands", "name": "Hands"}]
    assert body["count"] == 2
    filtered = api_client.get("/api/v1/series/", {"body_part": "feet"}).json()
    assert [s["title"] for s in filtered["results"]] == ["Happy feet"]
    searched = api_client.get("/api/v1/series/", {"search": "HAPPY"}).json()
    assert [s["title"] for s in searched["results"]] == ["Happy feet"]
    short = api_client.get("/api/v1/series/", {"max_minutes": 10}).json()
    assert [s["title"] for s in short["results"]] == ["Calm hands"]
    parts = api_client.get("/api/v1/body-parts/").json()["results"]
    assert {p["slug"] for p in parts} == {"hands", "feet"}
    api_client.force_authenticate(staff_user)
    staff = api_client.get("/api/v1/series/").json()
    assert "Secret draft" not in [s["title"] for s in staff["results"]]
    api_client.force_authenticate(editor_user)
    editors = api_client.get("/api/v1/series/").json()
    assert "Secret draft" in [s["title"] for s in editors["results"]]


def test_series_search_matches_routine_titles(api_client):
    RoutineFactory(title="Thumb walk", series=SeriesFactory(title="Hands one"))
    SeriesFactory(title="Other")
    body = api_client.get("/api/v1/series/", {"search": "thumb"}).json()
    assert [s["title"] for s in body["results"]] == ["Hands one"]


def test_series_list_rejects_a_bad_filter(api_client):
    response = api_client.get("/api/v1/series/", {"max_minutes": "soon"})
    assert response.status_code == 400
    assert "max_minutes" in response.json()


def test_series_detail_has_routines_and_steps_in_order(api_client):
    series = SeriesFactory(contraindications=["No open wounds"])
    RoutineFactory(series=series, position=2, title="Second", steps=2)
    RoutineFactory(series=series, position=1, title="First", steps=3)
    body = api_client.get(f"/api/v1/series/{series.slug}/").json()
    assert [r["title"] for r in body["routines"]] == ["First", "Second"]
    assert [s["position"] for s in body["routines"][0]["steps"]] == [1, 2, 3]
    assert body["contraindications"] == ["No open wounds"]
    assert body["safety_acknowledged"] is False


def test_draft_series_and_its_routines_are_404_for_members(member_api):
    draft = SeriesFactory(status=Series.Status.DRAFT, published_at=None)
    routine = RoutineFactory(series=draft)
    assert member_api.get(f"/api/v1/series/{draft.slug}/").status_code == 404
    assert member_api.get(f"/api/v1/routines/{routine.pk}/").status_code == 404
    assert member_api.get("/api/v1/routines/99999999999999999999/").status_code == 404


def test_routine_detail(api_client):
    routine = RoutineFactory(steps=2, per_side=True)
    body = api_client.get(f"/api/v1/routines/{routine.pk}/").json()
    assert body["per_side"] is True
    assert body["series"]["slug"] == routine.series.slug
    assert len(body["steps"]) == 2


def test_safety_acknowledgement_and_favourites(member_api, user):
    series = SeriesFactory()
    url = f"/api/v1/series/{series.slug}/safety-acknowledgement/"
    assert member_api.post(url).status_code == 204
    assert member_api.post(url).status_code == 204
    assert SafetyAcknowledgement.objects.filter(user=user, series=series).count() == 1
    assert member_api.get(f"/api/v1/series/{series.slug}/").json()["safety_acknowledged"]

    response = member_api.post("/api/v1/me/favourites/", {"series": series.slug}, format="json")
    assert response.status_code == 201 and response.json()["is_favourite"] is True
    assert member_api.post("/api/v1/me/favourites/", {"series": series.slug}).status_code == 201
    assert Favourite.objects.filter(user=user).count() == 1
    listed = member_api.get("/api/v1/me/favourites/").json()["results"]
    assert [s["slug"] for s in listed] == [series.slug]
    assert member_api.get("/api/v1/series/").json()["results"][0]["is_favourite"] is True
    assert member_api.post("/api/v1/me/favourites/", {"series": "nope"}).status_code == 400
    assert member_api.delete(f"/api/v1/me/favourites/{series.slug}/").status_code == 204
    assert not Favourite.objects.filter(user=user).exists()


# --- Session logs --------------------------------------------------------------------------------


def test_post_session_then_repeat_with_same_client_id(member_api, user):
    routine = RoutineFactory()
    client_id = str(uuid.uuid4())
    payload = _payload(routine, client_id=client_id, tension_before=6, tension_after=2, rating=4)
    first = member_api.post(SESSIONS, payload, format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["client_id"] == client_id
    assert body["duration_seconds"] == 600
    assert body["steps_completed"] == 3 and body["steps_total"] == 3
    assert body["local_date"] == dt.datetime.fromisoformat(payload["started_at"]).date().isoformat()
    assert body["source"] == "api"
    assert body["started_at"].endswith("Z") or "+" in body["started_at"]
    repeat = member_api.post(SESSIONS, {**payload, "notes": "changed"}, format="json")
    assert repeat.status_code == 200
    assert repeat.json()["id"] == body["id"] and repeat.json()["notes"] == ""
    assert SessionLog.objects.filter(user=user).count() == 1


def test_post_without_client_id_makes_one(member_api, user):
    response = member_api.post(SESSIONS, _payload(RoutineFactory()), format="json")
    assert response.status_code == 201
    assert uuid.UUID(response.json()["client_id"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ended_at": "2000-01-01T00:00:00Z"}, "ended_at"),
        ({"started_at": "2999-01-01T00:00:00Z", "ended_at": "2999-01-01T00:10:00Z"}, "started_at"),
        ({"started_at": "2026-03-10T09:00:00"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-13-45T99:00:00Z"}, "started_at"),
        ({"started_at": 12}, "started_at"),
        ({"tension_before": 11}, "tension_before"),
        ({"tension_before": -1}, "tension_before"),
        ({"tension_after": "very"}, "tension_after"),
        ({"tension_after": 10**30}, "tension_after"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"notes": "x" * 2001}, "notes"),
        ({"notes": {"a": 1}}, "notes"),
        ({"steps_completed": 99}, "steps_completed"),
        ({"steps_completed": 10**12}, "steps_completed"),
        ({"sides": "middle"}, "sides"),
        ({"routine": 10**30}, "routine"),
        ({"routine": 999999}, "routine"),
        ({"routine": "abc"}, "routine"),
        ({"routine": True}, "routine"),
        ({"routine": None}, "routine"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"client_id": 5}, "client_id"),
        ({"tension_map": {"hands": {"before": 11}}}, "tension_map"),
        ({"tension_map": {"hands": {"during": 3}}}, "tension_map"),
        ({"tension_map": "lots"}, "tension_map"),
    ],
)
def test_bad_input_is_a_400_on_the_right_field(member_api, changes, field):
    routine = RoutineFactory()
    response = member_api.post(SESSIONS, {**_payload(routine), **changes}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not SessionLog.objects.exists()


def test_end_before_start_and_too_long_messages(member_api):
    routine = RoutineFactory()
    started, _ = _times(minutes_ago=300)
    start = dt.datetime.fromisoformat(started)
    before = {"started_at": started, "ended_at": (start - dt.timedelta(seconds=1)).isoformat()}
    response = member_api.post(SESSIONS, {**_payload(routine), **before}, format="json")
    assert response.json() == {"ended_at": ["The end cannot be before the start."]}
    long = {
        "started_at": started,
        "ended_at": (start + dt.timedelta(hours=4, seconds=1)).isoformat(),
    }
    response = member_api.post(SESSIONS, {**_payload(routine), **long}, format="json")
    assert response.json() == {"ended_at": ["A session lasts at most 4 hours."]}


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2, 3]", b'"text"', b"{", b"null", b'{"routine": {}}'],
)
def test_garbage_bodies_are_400(member_api, body):
    response = member_api.post(SESSIONS, body, content_type="application/json")
    assert response.status_code == 400


def test_routine_of_a_draft_series_cannot_be_logged(member_api):
    routine = RoutineFactory(series=SeriesFactory(status=Series.Status.DRAFT, published_at=None))
    response = member_api.post(SESSIONS, _payload(routine), format="json")
    assert response.status_code == 400 and "routine" in response.json()


def test_list_shows_own_logs_newest_first(member_api, user, other_user):
    routine = RoutineFactory()
    now = dt.datetime.now(UTC)
    older, _ = session_log_create(
        user=user,
        routine=routine,
        started_at=now - dt.timedelta(days=2),
        ended_at=now - dt.timedelta(days=2) + dt.timedelta(minutes=5),
    )
    newer, _ = session_log_create(
        user=user,
        routine=routine,
        started_at=now - dt.timedelta(hours=2),
        ended_at=now - dt.timedelta(hours=1),
    )
    session_log_create(
        user=other_user,
        routine=routine,
        started_at=now - dt.timedelta(hours=3),
        ended_at=now - dt.timedelta(hours=2),
    )
    body = member_api.get(SESSIONS).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert member_api.get(SESSIONS, {"page": 99}).status_code == 404
    assert member_api.get(SESSIONS, {"page_size": 1}).json()["next"]


def test_another_members_log_is_404_for_get_patch_delete(member_api, other_user):
    now = dt.datetime.now(UTC)
    theirs, _ = session_log_create(
        user=other_user,
        routine=RoutineFactory(),
        started_at=now - dt.timedelta(hours=1),
        ended_at=now - dt.timedelta(minutes=30),
    )
    url = f"{SESSIONS}{theirs.pk}/"
    assert member_api.get(url).status_code == 404
    assert member_api.patch(url, {"notes": "mine"}, format="json").status_code == 404
    assert member_api.delete(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.notes == ""
    assert member_api.get(f"{SESSIONS}999999999999999999999/").status_code == 404


def test_patch_and_delete_own_log(member_api, user):
    created = member_api.post(SESSIONS, _payload(RoutineFactory()), format="json").json()
    url = f"{SESSIONS}{created['id']}/"
    start = dt.datetime.fromisoformat(created["started_at"])
    response = member_api.patch(
        url,
        {
            "ended_at": (start + dt.timedelta(minutes=25)).isoformat(),
            "rating": 5,
            "client_id": str(uuid.uuid4()),
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["duration_seconds"] == 25 * 60
    assert response.json()["rating"] == 5
    assert response.json()["client_id"] == created["client_id"]
    assert DailyActivity.objects.get(user=user).seconds == 25 * 60
    notes_only = member_api.patch(url, {"notes": "calmer"}, format="json").json()
    assert notes_only["notes"] == "calmer" and notes_only["rating"] == 5
    assert notes_only["duration_seconds"] == 25 * 60
    bad = member_api.patch(url, {"tension_before": 42}, format="json")
    assert bad.status_code == 400 and "tension_before" in bad.json()
    bad = member_api.patch(url, {"ended_at": "2000-01-01T00:00:00+00:00"}, format="json")
    assert bad.json() == {"ended_at": ["The end cannot be before the start."]}
    assert member_api.put(url, _payload(RoutineFactory()), format="json").status_code == 405
    assert member_api.delete(url).status_code == 204
    assert not SessionLog.objects.filter(user=user).exists()
    assert member_api.get(url).status_code == 404


def test_anonymous_cannot_reach_member_endpoints(api_client):
    for url in [
        SESSIONS,
        "/api/v1/me/stats/",
        "/api/v1/me/rest-days/",
        "/api/v1/me/practice-plan/",
    ]:
        assert api_client.get(url).status_code == 401


def test_token_auth_logs_a_session(api_client, user):
    token = api_client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": "correct-horse-battery"}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    routine = RoutineFactory()
    response = api_client.post(SESSIONS, _payload(routine), format="json")
    assert response.status_code == 201
    assert api_client.get("/api/v1/me/stats/").json()["sessions_total"] == 1
    assert api_client.get("/api/v1/me/stats/").json()["sessions_total"] == 1  # cached
    assert api_client.post(SESSIONS, _payload(routine), format="json").status_code == 201
    assert api_client.get("/api/v1/me/stats/").json()["sessions_total"] == 2
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get("/api/v1/me/stats/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_same_client_id_posted_twice_concurrently_is_one_log(postgres_required):
    """Two requests on two database connections race on the unique constraint."""
    user = UserFactory()
    routine = RoutineFactory()
    for _ in range(5):
        payload = _payload(routine, client_id=str(uuid.uuid4()))
        barrier = threading.Barrier(2)
        results: list = []

        def post(payload=payload, barrier=barrier, results=results):
            client = APIClient()
            client.force_authenticate(user)
            try:
                barrier.wait(5)
                response = client.post(SESSIONS, payload, format="json")
                results.append((response.status_code, response.json()["id"]))
            finally:
                connection.close()

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(code for code, _ in results) == [200, 201]
        assert results[0][1] == results[1][1]
        assert SessionLog.objects.filter(user=user, client_id=payload["client_id"]).count() == 1
    assert DailyActivity.objects.get(user=user).sessions == 5


# --- Progress, rest days, plan ----------------------------------------------------------------


def test_me_stats_reports_the_dashboard_figures(member_api, user):
    """At a fixed mid-week noon: run at 00:05 the session (started 30 minutes earlier)
    would belong to yesterday, on a Monday to last week."""
    with time_machine.travel(dt.datetime(2026, 11, 18, 12, 0, tzinfo=UTC), tick=True):
        routine = RoutineFactory()
        member_api.post(
            SESSIONS, _payload(routine, tension_before=8, tension_after=3), format="json"
        )
        body = member_api.get("/api/v1/me/stats/").json()
        assert body["current_streak"] == 1 and body["longest_streak"] == 1
        assert body["sessions_total"] == 1 and body["minutes_total"] == 10
        assert body["sessions_this_week"] == 1 and body["minutes_this_week"] == 10
        assert body["by_body_part"] == [
            {"slug": "hands", "name": "Hands", "sessions": 1, "minutes": 10}
        ]
        assert len(body["weekly_minutes"]) == 12 and body["weekly_minutes"][-1]["minutes"] == 10
        assert body["average_relief"] == 5.0
        assert "heatmap" not in body
        with_heatmap = member_api.get("/api/v1/me/stats/", {"include": "heatmap"}).json()
        assert 365 <= len(with_heatmap["heatmap"]) <= 366
        assert with_heatmap["heatmap"][-1]["minutes"] == 10


def test_rest_today_keeps_limits_and_is_idempotent(member_api, user):
    first = member_api.post("/api/v1/me/rest-days/", {}, format="json")
    assert first.status_code == 201
    assert member_api.post("/api/v1/me/rest-days/", {}, format="json").status_code == 200
    assert RestDay.objects.filter(user=user).count() == 1
    today = dt.date.fromisoformat(first.json()["local_date"])
    other_day = today - dt.timedelta(days=1) if today.weekday() else today + dt.timedelta(days=1)
    limited = member_api.post("/api/v1/me/rest-days/", {"local_date": other_day.isoformat()})
    assert limited.status_code == 400 and "local_date" in limited.json()
    far = member_api.post("/api/v1/me/rest-days/", {"local_date": "2001-01-01"})
    assert far.status_code == 400
    assert member_api.post("/api/v1/me/rest-days/", {"local_date": "soon"}).status_code == 400
    assert member_api.get("/api/v1/me/stats/").json()["rested_today"] is True
    assert member_api.get("/api/v1/me/rest-days/").json()["count"] == 1


def test_practice_plan_get_and_patch(member_api, user):
    assert member_api.get("/api/v1/me/practice-plan/").json() == {
        "rest_weekdays": [],
        "rest_days_per_week": 1,
    }
    response = member_api.patch(
        "/api/v1/me/practice-plan/", {"rest_weekdays": [6, 5]}, format="json"
    )
    assert response.json() == {"rest_weekdays": [5, 6], "rest_days_per_week": 1}
    for bad in [
        {"rest_weekdays": [7]},
        {"rest_weekdays": "sunday"},
        {"rest_days_per_week": 8},
        {"rest_weekdays": list(range(7))},
    ]:
        response = member_api.patch("/api/v1/me/practice-plan/", bad, format="json")
        assert response.status_code == 400, bad
    assert member_api.get("/api/v1/me/stats/").json()["rest_weekdays"] == [5, 6]


# --- Schema and docs ---------------------------------------------------------------------------


def test_schema_lists_the_member_endpoints(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/sessions/",
        "/api/v1/sessions/{id}/",
        "/api/v1/me/stats/",
        "/api/v1/series/",
        "/api/v1/series/{slug}/",
        "/api/v1/routines/{id}/",
    ]:
        assert path in paths


def test_api_docs_load_nothing_from_another_host(api_client):
    import re

    html = api_client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    urls += re.findall(r"""["'](https?://[^"']+)""", html)
    assert urls
    external = [u for u in urls if re.match(r"(https?:)?//", u) and "testserver" not in u]
    assert external == []


def test_schema_of_the_routines_api_generates_without_warnings(tmp_path, capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yml"))
    output = capsys.readouterr()
    warnings = [
        line
        for line in (output.err + output.out).splitlines()
        if "routines/" in line or "routines." in line
    ]
    assert warnings == [], output.err
    assert "/api/v1/me/stats/" in (tmp_path / "schema.yml").read_text()


def test_library_edits_reach_logging_at_once(member_api, user):
    """POST sessions/ caches routine facts; saving the library drops them."""
    routine = RoutineFactory(steps=3)
    assert member_api.post(SESSIONS, _payload(routine), format="json").json()["steps_total"] == 3
    Step.objects.create(routine=routine, position=4, title="More", instruction="Press.")
    assert member_api.post(SESSIONS, _payload(routine), format="json").json()["steps_total"] == 4
    series = routine.series
    series.status = Series.Status.DRAFT
    series.save()
    response = member_api.post(SESSIONS, _payload(routine), format="json")
    assert response.status_code == 400 and "routine" in response.json()
    series.status = Series.Status.PUBLISHED
    series.save()
    assert member_api.post(SESSIONS, _payload(routine), format="json").status_code == 201
    routine_id = routine.pk
    SessionLog.objects.filter(routine_id=routine_id).delete()
    routine.delete()
    assert (
        member_api.post(SESSIONS, {**_payload(routine), "routine": routine_id}).status_code == 400
    )


def test_fast_token_authentication_checks_token_and_member(api_client, user, other_user):
    """POST sessions/ and me/stats read tokens with their own query: same rules as DRF's."""
    from accounts.services import api_token_create

    token = api_token_create(user=user)[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = api_client.post(SESSIONS, _payload(RoutineFactory()), format="json").json()
    assert SessionLog.objects.get(pk=body["id"]).user == user
    assert api_client.get("/api/v1/me/stats/").json()["sessions_total"] == 1
    other = api_token_create(user=other_user)[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert api_client.get("/api/v1/me/stats/").json()["sessions_total"] == 0
    assert api_client.get(SESSIONS).json()["count"] == 0
    for header in ["Token nope", "Token", "Token a b", "Bearer " + token]:
        api_client.credentials(HTTP_AUTHORIZATION=header)
        assert api_client.get("/api/v1/me/stats/").status_code == 401, header
        assert api_client.post(SESSIONS, {}, format="json").status_code == 401, header
    user.is_active = False
    user.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me/stats/").status_code == 401


@pytest.mark.parametrize(
    ("sent", "stored"),
    [({}, "api"), ({"source": "api"}, "api"), ({"source": "player"}, "player")],
)
def test_a_guided_session_sent_through_the_api_is_a_player_session(member_api, sent, stored):
    """Issue 13: the JavaScript player saves through the API; its logs read "Guided
    player", like the no-JS player's."""
    response = member_api.post(SESSIONS, _payload(RoutineFactory(), **sent), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == stored
    assert SessionLog.objects.get().source == stored


@pytest.mark.parametrize("source", ["manual", "email", "robot", ""])
def test_an_api_client_cannot_claim_other_sources(member_api, source):
    response = member_api.post(SESSIONS, _payload(RoutineFactory(), source=source), format="json")
    assert response.status_code == 400 and "source" in response.json()
    assert not SessionLog.objects.exists()


def test_source_cannot_be_changed_later(member_api, user):
    log = member_api.post(SESSIONS, _payload(RoutineFactory()), format="json").json()
    response = member_api.patch(f"{SESSIONS}{log['id']}/", {"source": "player"}, format="json")
    assert response.status_code == 200 and response.json()["source"] == "api"


def test_a_session_with_no_step_done_is_refused(member_api):
    response = member_api.post(
        SESSIONS, _payload(RoutineFactory(steps=3), steps_completed=0), format="json"
    )
    assert response.status_code == 400
    assert "No step was done" in response.json()["steps_completed"][0]
    assert not SessionLog.objects.exists()


# --- Query parameters are validated, never ignored (issue 14) ---------------------------------


@pytest.mark.parametrize("include", ["foo", "HEATMAP", "heatmap,foo"])
def test_an_unknown_stats_include_is_a_400_naming_the_allowed_values(member_api, include):
    response = member_api.get("/api/v1/me/stats/", {"include": include})
    assert response.status_code == 400
    [message] = response.json()["include"]
    assert include in message and "heatmap" in message


def test_stats_include_takes_heatmap_or_nothing(member_api):
    assert "heatmap" in member_api.get("/api/v1/me/stats/", {"include": "heatmap"}).json()
    assert "heatmap" not in member_api.get("/api/v1/me/stats/", {"include": ""}).json()
    both = member_api.get("/api/v1/me/stats/?include=heatmap&include=bogus")
    assert both.status_code == 400 and "bogus" in both.json()["include"][0]


@pytest.mark.parametrize("value", ["abc", "0", "1001", "2.5"])
def test_series_max_minutes_is_a_whole_number_from_1_to_1000(api_client, value):
    response = api_client.get("/api/v1/series/", {"max_minutes": value})
    assert response.status_code == 400
    assert list(response.json()) == ["max_minutes"]


@pytest.mark.parametrize(("name", "longest"), [("search", 100), ("body_part", 50)])
def test_series_text_filters_refuse_what_the_library_form_refuses(api_client, name, longest):
    assert api_client.get("/api/v1/series/", {name: "a" * longest}).status_code == 200
    response = api_client.get("/api/v1/series/", {name: "a" * (longest + 1)})
    assert response.status_code == 400
    assert list(response.json()) == [name]
    assert str(longest) in response.json()[name][0]
