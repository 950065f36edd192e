"""The editor's pages, as an editor uses them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from routines.models import AuditEntry, Routine, Series
from tests.factories import (
    BodyPartFactory,
    EditorFactory,
    RoutineFactory,
    SeriesFactory,
    SessionLogFactory,
    image_upload,
)

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return response.content.decode()


def _series_data(**changes) -> dict:
    hands = BodyPartFactory(slug="hands", name="Hands")
    return {
        "title": "Warm hands",
        "body_parts": [hands.pk],
        "summary": "Ten calm minutes.",
        "estimated_minutes": 10,
        "difficulty": "gentle",
        "contraindications": "No open wounds.\n\n  I will stop if it hurts.  \n",
        **changes,
    }


def _url(name: str, **kwargs) -> str:
    return reverse(f"editor:{name}", kwargs=kwargs)


def test_create_a_series_with_a_cover_and_a_checklist(editor_client, editor_user):
    response = editor_client.post(
        _url("series_new"), _series_data(cover=image_upload(), cover_alt="Two open hands")
    )
    series = Series.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("series", slug="warm-hands")
    assert series.status == "draft" and series.contraindications == [
        "No open wounds.",
        "I will stop if it hurts.",
    ]
    assert series.cover.name.startswith("covers/warm-hands-")
    page = _page(editor_client.get(response["Location"]))
    assert "Draft “Warm hands” created." in page
    assert "Add at least one routine with at least one step" in page  # what is missing
    assert 'alt="Two open hands"' in page
    assert "Created series “Warm hands”" in page  # the history, on its page


def test_the_series_form_explains_what_to_fix(editor_client):
    response = editor_client.post(
        _url("series_new"),
        _series_data(title="", cover=image_upload("a.gif", "GIF"), estimated_minutes=0),
    )
    assert response.status_code == 400
    page = _page(response)
    assert "This field is required." in page
    assert "PNG, JPEG or WebP image (this one is GIF)" in page
    response = editor_client.post(_url("series_new"), _series_data(cover=image_upload()))
    assert "Describe the cover image for people who cannot see it." in _page(response)
    assert not Series.objects.exists()


def test_contraindications_are_edited_as_lines_never_json(editor_client):
    series = SeriesFactory(status="draft", contraindications=["One", "Two"])
    page = _page(editor_client.get(_url("series_edit", slug=series.slug)))
    assert "One\nTwo</textarea>" in page and "[&quot;" not in page


def test_published_series_keeps_its_slug_in_the_form(editor_client):
    series = SeriesFactory(slug="live")
    page = _page(editor_client.get(_url("series_edit", slug=series.slug)))
    assert 'name="slug" value="live"' in page and "disabled" in page
    data = _series_data(title="Renamed", slug="moved")
    data["body_parts"] = [series.body_parts.get().pk]
    response = editor_client.post(_url("series_edit", slug=series.slug), data)
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.title, series.slug) == ("Renamed", "live")


def test_build_routines_and_steps_then_publish(editor_client, editor_user):
    series = SeriesFactory(status="draft", slug="s")
    response = editor_client.post(_url("series_publish", slug="s"), follow=True)
    assert "Add at least one routine with at least one step" in _page(response)

    editor_client.post(_url("routine_new", slug="s"), {"title": "Warm up"})
    routine = Routine.objects.get(series=series)
    step = {"instruction": "Press gently.", "duration_seconds": 20, "repetitions": 1}
    response = editor_client.post(
        _url("step_new", slug="s", pk=routine.pk), {"title": "A", "add_another": "1", **step}
    )
    assert response["Location"] == _url("step_new", slug="s", pk=routine.pk)
    editor_client.post(_url("step_new", slug="s", pk=routine.pk), {"title": "B", **step})
    b = routine.steps.get(title="B")
    editor_client.post(
        _url("step_move", slug="s", pk=routine.pk, step_pk=b.pk), {"direction": "up"}
    )
    assert list(routine.steps.order_by("position").values_list("title", flat=True)) == ["B", "A"]

    response = editor_client.post(_url("series_publish", slug="s"), follow=True)
    assert "is published: members see it now" in _page(response)
    series.refresh_from_db()
    assert series.status == "published" and series.published_at
    history = _page(editor_client.get(_url("series_history", slug="s")))
    for text in ("Created routine “Warm up”", "Reordered routine “Warm up”", "Published series"):
        assert text in history


def test_remove_asks_first_and_refuses_in_words(editor_client):
    series = SeriesFactory(slug="live")
    only = RoutineFactory(series=series, steps=1, title="Only one")
    step = only.steps.get()
    page = _page(editor_client.get(_url("step_remove", slug="live", pk=only.pk, step_pk=step.pk)))
    assert "Remove the step “Step 1”?" in page
    response = editor_client.post(
        _url("step_remove", slug="live", pk=only.pk, step_pk=step.pk), follow=True
    )
    assert "must keep at least one routine with at least one step" in _page(response)
    logged = RoutineFactory(series=series, position=2, title="Logged")
    SessionLogFactory(routine=logged)
    response = editor_client.post(_url("routine_remove", slug="live", pk=logged.pk), follow=True)
    assert "Members have logged sessions of “Logged”" in _page(response)
    assert Routine.objects.filter(pk=logged.pk).exists()


def test_drag_and_drop_posts_the_same_reorder(editor_client):
    series = SeriesFactory(status="draft", slug="s")
    first = RoutineFactory(series=series, position=1)
    second = RoutineFactory(series=series, position=2)
    editor_client.post(_url("routines_order", slug="s"), {"order": f"{second.pk},{first.pk}"})
    assert list(series.routines.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    response = editor_client.post(
        _url("routines_order", slug="s"), {"order": [first.pk]}, follow=True
    )
    assert "each routine of this series exactly once" in _page(response)


def test_schedule_in_the_editors_own_time_zone(client):
    editor = EditorFactory(timezone="Europe/Paris")
    series = SeriesFactory(status="draft", slug="s")
    RoutineFactory(series=series, steps=1)
    with time_machine.travel(dt.datetime(2027, 3, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(editor)  # a session started then (sessions expire)
        response = client.post(
            _url("series_schedule", slug="s"), {"date": "2027-03-28", "time": "02:30"}
        )
        assert response.status_code == 400
        assert "does not exist on 2027-03-28 in Europe/Paris" in _page(response)
        response = client.post(
            _url("series_schedule", slug="s"), {"date": "2027-03-01", "time": "09:00"}
        )
        assert "Choose a time in the future" in _page(response)
        response = client.post(
            _url("series_schedule", slug="s"), {"date": "2027-04-01", "time": "09:00"}
        )
        assert response.status_code == 302
        series.refresh_from_db()
        assert series.status == "scheduled"
        assert series.publish_at == dt.datetime(2027, 4, 1, 7, 0, tzinfo=dt.UTC)  # CEST
        listing = _page(client.get(_url("series_list")))
        assert "Thu 1 Apr 2027, 09:00" in listing and "Goes live (Europe/Paris)" in listing
        overview = _page(client.get(_url("series", slug="s")))
        assert "it goes live on Thursday 1 April 2027, 09:00 (Europe/Paris)" in overview
        client.post(_url("series_unschedule", slug="s"))
    series.refresh_from_db()
    assert (series.status, series.publish_at) == ("draft", None)


def test_unpublish_keeps_it_in_the_editor_and_hides_it_from_members(editor_client, client, user):
    series = SeriesFactory(slug="live", title="Live one")
    RoutineFactory(series=series, steps=1)
    response = editor_client.post(_url("series_unpublish", slug="live"), follow=True)
    assert "hidden from members again; their session logs are kept" in _page(response)
    client.force_login(user)
    assert client.get(series.get_absolute_url()).status_code == 404
    entry = AuditEntry.objects.get(series=series, action="unpublish")
    assert entry.changes["status"] == {"old": "published", "new": "unpublished"}


def test_preview_is_the_members_page_and_player_for_a_draft(editor_client, client, user):
    series = SeriesFactory(status="draft", slug="s", title="Not yet")
    routine = RoutineFactory(series=series, steps=2, title="Hidden routine")
    page = _page(editor_client.get(_url("series_preview", slug="s")))
    assert "Preview of “Not yet” (draft)" in page
    assert 'class="series-page"' in page and "Hidden routine" in page
    player = _page(editor_client.get(_url("routine_preview", slug="s", pk=routine.pk)))
    assert 'id="player"' in player and "Step 1 of 2" in player
    other = RoutineFactory(series=SeriesFactory(status="draft"))
    assert editor_client.get(_url("routine_preview", slug="s", pk=other.pk)).status_code == 404
    client.force_login(user)
    assert client.get(series.get_absolute_url()).status_code == 404


def test_step_area_is_a_choice_of_the_body_parts_picture_regions(editor_client):
    series = SeriesFactory(status="draft", slug="s")  # body part: hands
    routine = RoutineFactory(series=series, steps=0)
    url = _url("step_new", slug="s", pk=routine.pk)
    page = _page(editor_client.get(url))
    assert '<select name="area"' in page
    assert '<option value="thenar">Thenar (base of the thumb)</option>' in page
    fields = {"title": "T", "instruction": "I", "duration_seconds": 5, "repetitions": 1}
    response = editor_client.post(url, {**fields, "area": "not-a-region"})
    assert response.status_code == 400
    assert not routine.steps.exists()
    editor_client.post(url, {**fields, "area": "thenar"})
    assert routine.steps.get().area == "thenar"


def test_series_list_filters_by_status_and_text(editor_client):
    SeriesFactory(title="Calm feet", status="draft")
    SeriesFactory(title="Calm hands")
    page = _page(editor_client.get(_url("series_list"), {"status": "draft"}))
    assert "Calm feet" in page and "Calm hands" not in page
    page = _page(editor_client.get(_url("series_list"), {"q": "hands"}))
    assert "Calm hands" in page and "Calm feet" not in page
