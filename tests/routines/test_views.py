"""Member pages: library, player (without JavaScript), safety gate, logs, dashboard."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from routines.models import Favourite, RestDay, SafetyAcknowledgement, Series, SessionLog
from routines.services import session_log_create
from tests.factories import (
    BodyPartFactory,
    RoutineFactory,
    SeriesFactory,
    SessionLogFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _content(response) -> str:
    return response.content.decode()


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def _finish_data(routine, /, **overrides):
    now = timezone.now()
    data = {
        "client_id": str(uuid.uuid4()),
        "started_at": _iso(now - dt.timedelta(minutes=6)),
        "ended_at": _iso(now - dt.timedelta(minutes=1)),
        "steps_completed": 3,
        "sides": "",
        "tension_before": "6",
        "tension_after": "2",
        "rating": "4",
        "notes": "Lovely.",
    }
    data.update(overrides)
    return data


# --- Library -----------------------------------------------------------------------------------


def test_library_filters_by_body_part_text_and_minutes(client):
    feet = BodyPartFactory(slug="feet", name="Feet")
    hands = BodyPartFactory(slug="hands", name="Hands")
    SeriesFactory(title="Happy feet", estimated_minutes=25, body_parts=[feet])
    SeriesFactory(title="Quick hands", estimated_minutes=5, body_parts=[hands])
    SeriesFactory(title="Wrist relief", summary="For typing days", estimated_minutes=12,
                  body_parts=[hands])  # fmt: skip
    url = reverse("routines:library")

    page = _content(client.get(url))
    assert all(t in page for t in ("Happy feet", "Quick hands", "Wrist relief"))

    by_part = _content(client.get(url, {"body_part": "hands"}))
    assert "Quick hands" in by_part and "Wrist relief" in by_part
    assert "Happy feet" not in by_part

    by_text = _content(client.get(url, {"q": "typing"}))
    assert "Wrist relief" in by_text and "Quick hands" not in by_text

    short = _content(client.get(url, {"max_minutes": "10"}))
    assert "Quick hands" in short and "Wrist relief" not in short and "Happy feet" not in short

    none = client.get(url, {"q": "nothing like this"})
    assert "No series match these filters" in _content(none)
    # An unknown length is ignored, not an error.
    assert client.get(url, {"max_minutes": "abc"}).status_code == 200


def test_library_hides_drafts_from_members_but_shows_them_to_editors(
    client, user, staff_user, editor_user
):
    SeriesFactory(title="Published one")
    SeriesFactory(title="Secret draft", status=Series.Status.DRAFT, published_at=None)
    draft = Series.objects.get(title="Secret draft")
    url = reverse("routines:library")

    assert "Secret draft" not in _content(client.get(url))
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(user)
    assert "Secret draft" not in _content(client.get(url))
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff_user)  # is_staff without the editors' permission
    assert "Secret draft" not in _content(client.get(url))
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(editor_user)
    assert "Secret draft" in _content(client.get(url))
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_library_marks_favourites_and_toggle_needs_post(member_client, user):
    series = SeriesFactory(title="Loved series")
    url = reverse("routines:favourite", kwargs={"slug": series.slug})
    assert member_client.get(url).status_code == 405

    response = member_client.post(url)
    assert response.status_code == 302
    assert Favourite.objects.filter(user=user, series=series).exists()
    assert "(favourite)" in _content(member_client.get(reverse("routines:library")))
    assert 'aria-pressed="true"' in _content(member_client.get(series.get_absolute_url()))

    member_client.post(url)
    assert not Favourite.objects.filter(user=user, series=series).exists()


def test_library_only_favourites_and_chips_keep_the_search(member_client, user):
    hands = BodyPartFactory(slug="hands", name="Hands")
    loved = SeriesFactory(title="Loved hands", body_parts=[hands])
    SeriesFactory(title="Other hands", body_parts=[hands])
    Favourite.objects.create(user=user, series=loved)
    url = reverse("routines:library")
    page = _content(member_client.get(url, {"favourites": "on", "q": "hands"}))
    assert "Loved hands" in page and "Other hands" not in page
    form = re.search(r'<form method="get"[^>]*role="search".*?</form>', page, re.S).group(0)
    # The chips are buttons of the search form: the search text and favourites go along.
    assert '<button type="submit" name="body_part" value="hands" class="chip"' in form
    assert 'name="q" value="hands"' in form and 'name="favourites"' in form


def test_series_page_shows_routines_steps_safety_and_next_installment(client):
    nxt = SeriesFactory(title="Arms next")
    series = SeriesFactory(
        title="Hands first",
        safety_notes="Go gently.",
        contraindications=["No broken skin."],
        next_installment=nxt,
    )
    routine = RoutineFactory(series=series, title="Ten minute hands", per_side=True, steps=2)
    page = _content(client.get(series.get_absolute_url()))
    assert "Ten minute hands" in page and "Step 1" in page
    assert "Go gently." in page and "No broken skin." in page
    assert nxt.get_absolute_url() in page
    assert reverse("routines:play", kwargs={"pk": routine.pk}) in page

    routine_page = _content(client.get(reverse("routines:routine", kwargs={"pk": routine.pk})))
    assert "Start guided session" in routine_page
    assert "on the right hand, then all again on the left hand" in routine_page


# --- Player without JavaScript ---------------------------------------------------------------


def test_player_needs_login(client):
    routine = RoutineFactory()
    response = client.get(reverse("routines:play", kwargs={"pk": routine.pk}))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_safety_gate_redirects_until_every_box_is_confirmed(member_client, user):
    series = SeriesFactory(contraindications=["No broken skin.", "Not pregnant."])
    routine = RoutineFactory(series=series)
    play = reverse("routines:play", kwargs={"pk": routine.pk})
    response = member_client.get(play)
    assert response.status_code == 302
    gate = response["Location"]
    assert gate.startswith(reverse("routines:safety", kwargs={"slug": series.slug}))

    page = member_client.get(gate)
    assert "No broken skin." in _content(page) and "Not pregnant." in _content(page)

    partial = member_client.post(gate, {"confirm_0": "on"})
    assert partial.status_code == 400
    assert "Please confirm every statement" in _content(partial)
    assert "Please confirm this statement to continue." in _content(partial)
    assert not SafetyAcknowledgement.objects.filter(user=user).exists()

    done = member_client.post(gate, {"confirm_0": "on", "confirm_1": "on"})
    assert done.status_code == 302 and done["Location"] == play
    assert SafetyAcknowledgement.objects.filter(user=user, series=series).exists()
    assert member_client.get(play).status_code == 200


def test_safety_gate_ignores_offsite_next(member_client):
    series = SeriesFactory(contraindications=["Ok."])
    gate = reverse("routines:safety", kwargs={"slug": series.slug})
    response = member_client.post(gate + "?next=https://evil.example/", {"confirm_0": "on"})
    assert response["Location"] == series.get_absolute_url()


def test_finish_form_creates_a_log_once(member_client, user):
    routine = RoutineFactory(steps=3)
    url = reverse("routines:finish", kwargs={"pk": routine.pk})
    data = _finish_data(routine)
    response = member_client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("routines:dashboard")
    log = SessionLog.objects.get(user=user)
    assert (log.steps_completed, log.steps_total, log.tension_before, log.rating) == (3, 3, 6, 4)
    assert log.duration_seconds == 300 and log.source == SessionLog.Source.PLAYER
    # A double submit (same client_id) does not duplicate the session.
    member_client.post(url, data)
    assert SessionLog.objects.filter(user=user).count() == 1


def test_finish_form_errors_keep_the_answers(member_client, user):
    routine = RoutineFactory(steps=3)
    url = reverse("routines:finish", kwargs={"pk": routine.pk})
    now = timezone.now()
    response = member_client.post(
        url,
        _finish_data(
            routine,
            tension_before="11",
            notes="kept text",
            ended_at=_iso(now - dt.timedelta(minutes=10)),
        ),
    )
    assert response.status_code == 400
    page = _content(response)
    assert "Ensure this value is less than or equal to 10." in page
    assert "kept text" in page
    assert not SessionLog.objects.exists()
    # Cross-field rules from the service reach the page too.
    response = member_client.post(
        url, _finish_data(routine, ended_at=_iso(now - dt.timedelta(minutes=10)))
    )
    assert response.status_code == 400
    assert "The end cannot be before the start." in _content(response)


# --- Session logs ----------------------------------------------------------------------------


def _manual(routine_obj, /, **overrides):
    data = {
        "routine": routine_obj.pk,
        "date": (timezone.now() - dt.timedelta(days=1)).date().isoformat(),
        "time": "08:30",
        "duration_minutes": "15",
        "sides": "",
        "tension_before": "5",
        "tension_after": "3",
        "rating": "5",
        "notes": "At the office",
    }
    data.update(overrides)
    return data


def test_manual_log_in_member_zone(member_client, user):
    user.timezone = "Asia/Tokyo"
    user.save()
    routine = RoutineFactory()
    with time_machine.travel(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        response = member_client.post(
            reverse("routines:session_new"), _manual(routine, date="2026-06-10", time="07:00")
        )
    assert response.status_code == 302
    log = SessionLog.objects.get(user=user)
    assert log.started_at == dt.datetime(2026, 6, 9, 22, 0, tzinfo=dt.UTC)
    assert log.local_date == dt.date(2026, 6, 10)
    assert log.duration_seconds == 15 * 60 and log.source == SessionLog.Source.MANUAL


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"routine": ""}, "routine", "This field is required."),
        ({"date": "2999-01-01"}, "date", "The session cannot start in the future."),
        ({"date": "not a date"}, "date", "Enter a valid date."),
        ({"time": "25:00"}, "time", "Enter a valid time."),
        ({"duration_minutes": "0"}, "duration_minutes", "at least 1 minute"),
        ({"duration_minutes": "241"}, "duration_minutes", "at most 4 hours"),
        ({"tension_before": "-1"}, "tension_before", "greater than or equal to 0"),
        ({"tension_after": "12"}, "tension_after", "less than or equal to 10"),
        ({"rating": "6"}, "rating", "Select a valid choice."),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
    ],
)
def test_manual_log_field_errors(member_client, override, field, message):
    routine = RoutineFactory()
    response = member_client.post(reverse("routines:session_new"), _manual(routine, **override))
    assert response.status_code == 400
    page = _content(response)
    error_block = re.search(
        rf'id="id_{field}_error" data-error-for="{field}">(.*?)</div>', page, re.S
    ).group(1)
    assert message in error_block
    assert 'aria-invalid="true"' in page
    assert not SessionLog.objects.exists()


def test_manual_log_cannot_pick_a_draft_routine(member_client):
    draft = RoutineFactory(series=SeriesFactory(status=Series.Status.DRAFT, published_at=None))
    response = member_client.post(reverse("routines:session_new"), _manual(draft))
    assert response.status_code == 400
    assert not SessionLog.objects.exists()


def test_session_list_shows_only_own_logs_paginated(member_client, user, other_user):
    mine = RoutineFactory(title="Mine routine")
    theirs = RoutineFactory(title="Their routine")
    for _ in range(21):
        SessionLogFactory(user=user, routine=mine)
    SessionLogFactory(user=other_user, routine=theirs)
    page = _content(member_client.get(reverse("routines:sessions")))
    assert page.count("Mine routine") == 20 and "Their routine" not in page
    assert "Page 1 of 2" in page
    second = _content(member_client.get(reverse("routines:sessions"), {"page": 2}))
    assert second.count("Mine routine") == 1


def test_edit_and_delete_own_log(member_client, user):
    routine = RoutineFactory()
    start = timezone.now() - dt.timedelta(hours=3)
    log, _ = session_log_create(
        user=user, routine=routine, started_at=start, ended_at=start + dt.timedelta(minutes=10)
    )
    edit = reverse("routines:session_edit", kwargs={"log_id": log.pk})
    form_page = _content(member_client.get(edit))
    assert 'value="10"' in form_page  # duration in minutes
    local = start.astimezone(user.zone)
    response = member_client.post(
        edit,
        _manual(
            routine,
            date=local.date().isoformat(),
            time=local.strftime("%H:%M"),
            duration_minutes="25",
            notes="changed",
        ),
    )
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.duration_seconds == 25 * 60 and log.notes == "changed"

    delete = reverse("routines:session_delete", kwargs={"log_id": log.pk})
    assert "Delete this session?" in _content(member_client.get(delete))
    assert SessionLog.objects.filter(pk=log.pk).exists()  # GET only asks
    assert member_client.post(delete).status_code == 302
    assert not SessionLog.objects.filter(pk=log.pk).exists()


@pytest.mark.parametrize("name", ["session", "session_edit", "session_delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_members_log_is_404(member_client, other_user, name, method):
    log = SessionLogFactory(user=other_user)
    url = reverse(f"routines:{name}", kwargs={"log_id": log.pk})
    if name == "session" and method == "post":
        assert member_client.post(url).status_code == 405
        return
    response = getattr(member_client, method)(url, _manual(log.routine, notes="hijack"))
    assert response.status_code == 404
    log.refresh_from_db()
    assert log.notes == ""


def test_csv_export_has_only_own_logs_and_neutralises_formulas(member_client, user, other_user):
    routine = RoutineFactory(title="Export routine")
    SessionLogFactory(user=user, routine=routine, notes="=HYPERLINK(1)", tension_before=4)
    SessionLogFactory(user=user, routine=routine)
    SessionLogFactory(user=other_user, routine=routine, notes="not mine")
    response = member_client.get(reverse("routines:session_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    assert {r["routine"] for r in rows} == {"Export routine"}
    assert "'=HYPERLINK(1)" in {r["notes"] for r in rows}
    assert "not mine" not in body


def test_csv_export_needs_login(client):
    assert client.get(reverse("routines:session_export")).status_code == 302


def test_csv_export_queries_do_not_grow_with_logs(
    member_client, user, django_assert_max_num_queries
):
    routine = RoutineFactory()
    for _ in range(30):
        SessionLogFactory(user=user, routine=routine)
    with django_assert_max_num_queries(6):
        response = member_client.get(reverse("routines:session_export"))
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 31


# --- Dashboard -------------------------------------------------------------------------------


def test_dashboard_empty_state_for_new_members(member_client):
    page = _content(member_client.get(reverse("routines:dashboard")))
    assert "Find a routine in the library" in page
    assert reverse("routines:library") in page


def test_dashboard_renders_figures_and_accessible_charts(member_client, user):
    routine = RoutineFactory(
        series=SeriesFactory(body_parts=[BodyPartFactory(slug="feet", name="Feet")])
    )
    start = timezone.now() - dt.timedelta(hours=2)
    session_log_create(
        user=user,
        routine=routine,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=12),
        tension_before=7,
        tension_after=3,
    )
    response = member_client.get(reverse("routines:dashboard"))
    page = _content(response)
    assert "Find a routine in the library" not in page
    assert page.count('role="img"') == 3  # weekly bars, the calendar, the body map
    assert '<title id="weekly-title">' in page and '<desc id="weekly-desc">' in page
    assert "Show as a table" in page
    assert "12 minutes in 12 weeks" in page
    assert '<th scope="row">Feet</th>' in page
    assert ">4.0<" in page  # average relief 7 - 3
    # 12 weekly bars and a year of day cells.
    assert len(re.findall(r'<g class="bar', page)) == 12
    assert len(re.findall(r'<rect class="heat heat-', page)) >= 365


def test_rest_today_and_weekly_limit(member_client, user):
    with time_machine.travel(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        url = reverse("routines:rest_today")
        assert member_client.get(url).status_code == 405
        response = member_client.post(url, follow=True)
        assert "Today is a rest day" in _content(response)
        assert RestDay.objects.filter(user=user, local_date=dt.date(2026, 6, 10)).exists()
    with time_machine.travel(dt.datetime(2026, 6, 11, 12, 0, tzinfo=dt.UTC), tick=False):
        response = member_client.post(url, follow=True)
        assert "already used your 1 rest day" in _content(response)
        assert RestDay.objects.filter(user=user).count() == 1


def test_practice_plan_form_saves_and_validates(member_client, user):
    url = reverse("routines:practice_plan")
    response = member_client.post(url, {"rest_weekdays": ["5", "6"], "rest_days_per_week": "2"})
    assert response.status_code == 302
    assert user.practice_plan.rest_weekdays == [5, 6]
    assert user.practice_plan.rest_days_per_week == 2
    bad = member_client.post(url, {"rest_weekdays": ["0", "1", "2", "3", "4", "5", "6"],
                                    "rest_days_per_week": "9"})  # fmt: skip
    assert bad.status_code == 400
    page = _content(bad)
    assert "Keep at least one practice day a week." in page
    assert "less than or equal to 7" in page


@pytest.mark.parametrize(
    "url_name", ["routines:library", "routines:sessions", "routines:dashboard"]
)
def test_member_pages_use_a_constant_number_of_queries(client, url_name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for logs in (3, 45):
        member = UserFactory()
        routine = RoutineFactory()
        SeriesFactory.create_batch(logs // 3)
        start = timezone.now() - dt.timedelta(days=50)
        for n in range(logs):
            begin = start + dt.timedelta(days=n % 45, minutes=n)
            session_log_create(
                user=member, routine=routine, started_at=begin,
                ended_at=begin + dt.timedelta(minutes=5),
            )  # fmt: skip
        client.force_login(member)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(url_name)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_dashboard_page_is_cached_per_stats_key_and_refreshed_by_a_write(
    member_client, user, monkeypatch
):
    routine = RoutineFactory()
    start = timezone.now() - dt.timedelta(hours=3)

    def log(minutes: int) -> None:
        nonlocal start
        session_log_create(
            user=user,
            routine=routine,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=minutes),
        )
        start += dt.timedelta(minutes=minutes + 1)

    from routines import charts

    calls = []
    real_heatmap = charts.heatmap
    monkeypatch.setattr(charts, "heatmap", lambda days: calls.append(1) or real_heatmap(days))
    log(12)
    url = reverse("routines:dashboard")
    first = _content(member_client.get(url))
    second = _content(member_client.get(url))
    assert "12 minutes in 12 weeks" in first and "12 minutes in 12 weeks" in second
    assert len(calls) == 1  # the second visit reused the whole rendered page
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(first).group(1) != token.search(second).group(1)  # filled per request
    log(5)
    page = _content(member_client.get(url))
    assert "17 minutes in 12 weeks" in page and len(calls) == 2
    # Another member never sees this page.
    other = UserFactory()
    member_client.force_login(other)
    page = _content(member_client.get(url))
    assert "minutes in 12 weeks" not in page and len(calls) == 2


def test_dashboard_plan_form_shows_the_saved_plan_after_a_change(member_client, user):
    url = reverse("routines:dashboard")
    page = _content(member_client.get(url))
    assert re.search(r'<input[^>]*name="rest_days_per_week"[^>]*value="1"', page)
    assert not re.search(r'<input[^>]*value="5"[^>]*checked', page)
    member_client.post(
        reverse("routines:practice_plan"), {"rest_weekdays": ["5", "6"], "rest_days_per_week": "3"}
    )
    page = _content(member_client.get(url))
    assert re.search(r'<input[^>]*name="rest_days_per_week"[^>]*value="3"', page)
    assert re.search(r'<input[^>]*value="5"[^>]*checked', page)
    assert re.search(r'<input[^>]*value="6"[^>]*checked', page)
    assert "(3 a week, besides your planned rest days)" in page


# --- Issue 13: what a new member stumbles on ----------------------------------------------------


@pytest.mark.parametrize("day", ["1900-01-01", "1999-12-31"])
def test_manual_log_date_has_a_lower_bound_with_a_message(member_client, day):
    """A manual log dated 1 January 1900 was accepted."""
    routine = RoutineFactory()
    url = reverse("routines:session_new")
    page = _content(member_client.get(url))
    date_input = re.search(r'<input type="date"[^>]*name="date"[^>]*>', page).group(0)
    assert 'min="2000-01-01"' in date_input
    assert f'max="{timezone.now().date().isoformat()}"' in date_input
    assert 'aria-describedby="id_date_helptext"' in date_input
    assert "From 1 January 2000 to today." in page

    response = member_client.post(url, _manual(routine, date=day))
    assert response.status_code == 400
    error_block = re.search(
        r'id="id_date_error" data-error-for="date">(.*?)</div>', _content(response), re.S
    ).group(1)
    assert "Sessions before the year 2000 cannot be logged." in error_block
    assert not SessionLog.objects.exists()
    assert member_client.post(url, _manual(routine, date="2000-01-02")).status_code == 302
