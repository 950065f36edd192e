"""The staff API: build, publish, schedule and unpublish a series."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from routines.events import series_published
from routines.models import AuditEntry, Series
from tests.factories import BodyPartFactory, EditorFactory, RoutineFactory, SeriesFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/series/"


def test_build_and_publish_a_series_through_the_api(
    editor_api, editor_user, django_capture_on_commit_callbacks
):
    BodyPartFactory(slug="feet", name="Feet")
    received = []

    def receiver(sender, series_id, **kwargs):
        received.append(series_id)

    series_published.connect(receiver, dispatch_uid="api-test")
    try:
        created = editor_api.post(
            BASE,
            {"title": "Happy feet", "body_parts": ["feet"], "contraindications": ["No wounds"]},
            format="json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["slug"], body["status"], body["contraindications"]) == (
            "happy-feet",
            "draft",
            ["No wounds"],
        )
        assert body["publication_problems"] == [
            "Add at least one routine with at least one step: this series has none yet."
        ]
        empty = editor_api.post(f"{BASE}happy-feet/publish/", {}, format="json")
        assert empty.status_code == 400
        assert empty.json() == {"detail": body["publication_problems"]}

        routine = editor_api.post(
            f"{BASE}happy-feet/routines/", {"title": "Roll the soles"}, format="json"
        ).json()
        steps_url = f"{BASE}happy-feet/routines/{routine['id']}/steps/"
        one = editor_api.post(steps_url, {"title": "One", "instruction": "Roll."}, format="json")
        two = editor_api.post(steps_url, {"title": "Two", "instruction": "Rest."}, format="json")
        assert (one.json()["position"], two.json()["position"]) == (1, 2)
        order = editor_api.put(
            steps_url + "order/", {"order": [two.json()["id"], one.json()["id"]]}, format="json"
        )
        assert [s["title"] for s in order.json()] == ["Two", "One"]

        with django_capture_on_commit_callbacks(execute=True):
            live = editor_api.post(f"{BASE}happy-feet/publish/", {}, format="json")
            again = editor_api.post(f"{BASE}happy-feet/publish/", {}, format="json")
        assert live.status_code == again.status_code == 200
        assert live.json()["status"] == "published"
        assert live.json()["published_at"] == again.json()["published_at"]
        assert received == [Series.objects.get(slug="happy-feet").pk]
    finally:
        series_published.disconnect(dispatch_uid="api-test")

    renamed = editor_api.patch(f"{BASE}happy-feet/", {"slug": "other"}, format="json")
    assert renamed.status_code == 400
    assert "stays the same once it has been published" in renamed.json()["slug"][0]
    edited = editor_api.patch(f"{BASE}happy-feet/", {"summary": "Now shorter."}, format="json")
    assert edited.json()["summary"] == "Now shorter." and edited.json()["status"] == "published"

    hidden = editor_api.post(f"{BASE}happy-feet/unpublish/", format="json")
    assert hidden.json()["status"] == "unpublished"
    history = editor_api.get(f"{BASE}happy-feet/history/").json()["results"]
    assert [e["action"] for e in history][:3] == ["unpublish", "edit", "publish"]
    assert history[0]["actor"] == str(editor_user)


def test_publish_at_in_the_future_schedules_in_the_editors_zone():
    from rest_framework.test import APIClient

    editor = EditorFactory(timezone="Europe/Paris")
    api = APIClient()
    api.force_authenticate(editor)
    series = SeriesFactory(status="draft", slug="s")
    RoutineFactory(series=series, steps=1)
    with time_machine.travel(dt.datetime(2027, 3, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        gap = api.post(f"{BASE}s/publish/", {"publish_at": "2027-03-28T02:30"}, format="json")
        assert gap.status_code == 400
        assert "does not exist in Europe/Paris" in gap.json()["publish_at"][0]
        local = api.post(f"{BASE}s/publish/", {"publish_at": "2027-03-28T03:30"}, format="json")
        assert local.json()["status"] == "scheduled"
        series.refresh_from_db()
        assert series.publish_at == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)
        offset = api.post(
            f"{BASE}s/publish/", {"publish_at": "2027-04-01T10:00:00+00:00"}, format="json"
        )
        assert offset.json()["publish_at"] == "2027-04-01T10:00:00Z"  # answers in UTC
        past = api.post(f"{BASE}s/publish/", {"publish_at": "2027-03-01T10:00:00Z"}, format="json")
        assert past.json()["status"] == "published"
    assert AuditEntry.objects.filter(series=series, action="schedule").count() == 2


def test_input_errors_are_field_messages(editor_api, library):
    bad = editor_api.post(BASE, {"title": "", "body_parts": ["nowhere"]}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"title", "body_parts"}
    order = editor_api.put(
        f"{BASE}{library.draft.slug}/routines/order/",
        {"order": [library.routine.pk]},
        format="json",
    )
    assert order.status_code == 400
    assert "each routine of this series exactly once" in order.json()["order"][0]
    step = editor_api.patch(
        f"{BASE}{library.draft.slug}/routines/{library.routine.pk}/steps/{library.step.pk}/",
        {"duration_seconds": 0},
        format="json",
    )
    assert step.status_code == 400 and "duration_seconds" in step.json()


def test_nested_objects_of_another_series_are_404(editor_api, library):
    other = f"{BASE}{library.published.slug}/routines/{library.routine.pk}/"
    assert editor_api.get(other).status_code == 404
    assert editor_api.delete(other).status_code == 404
    assert editor_api.post(f"{BASE}missing/publish/", format="json").status_code == 404


def test_the_schema_documents_the_staff_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/series/"] and "get" in paths["/api/v1/series/"]
    assert "patch" in paths["/api/v1/series/{slug}/"]
    for path in (
        "/api/v1/series/{slug}/publish/",
        "/api/v1/series/{slug}/unpublish/",
        "/api/v1/series/{slug}/routines/",
        "/api/v1/series/{slug}/routines/{id}/steps/{step_pk}/",
    ):
        assert path in paths
    publish = paths["/api/v1/series/{slug}/publish/"]["post"]
    assert {"400", "401", "403"} <= set(publish["responses"])


def test_the_schema_generates_without_warnings_for_the_editor(tmp_path, capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yml"))
    output = capsys.readouterr()
    warnings = [line for line in (output.err + output.out).splitlines() if "editor" in line]
    assert warnings == [], output.err


def test_a_deeply_nested_body_is_a_400_in_json_on_the_staff_api(editor_api, library):
    """The staff API reads JSON with the site's parser too (it had DRF's own, which let a
    RecursionError through as a 500)."""
    nested = "[" * 1500 + "]" * 1500
    for method, url in [("post", BASE), ("patch", f"{BASE}draft-series/")]:
        response = getattr(editor_api, method)(url, nested, content_type="application/json")
        assert response.status_code == 400, url
        assert "nested too deeply" in response.json()["detail"]
