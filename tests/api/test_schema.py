"""What /api/schema/ promises, checked against what the API answers (issue 14): formats the
answers keep, the error statuses each operation can give, and the query parameters that
are validated (documented with their ranges and allowed values)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from tests.factories import EditorFactory, RoutineFactory, SeriesFactory

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _query(operation, name):
    return next(
        (p for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] == name),
        None,
    )


def test_a_reminder_time_is_documented_as_the_wall_clock_time_it_is(schema, member_api):
    """``format: time`` is RFC 3339's full-time, with a UTC offset; a reminder's time has
    none ("07:00"): the schema states its pattern instead."""
    local_time = schema["components"]["schemas"]["ReminderSchedule"]["properties"]["local_time"]
    assert "format" not in local_time
    body = {"weekdays": [0], "local_time": "07:00:30"}
    answer = member_api.post("/api/v1/me/reminders/", body, format="json").json()
    assert answer["local_time"] == "07:00"
    assert re.fullmatch(local_time["pattern"], answer["local_time"])
    assert re.fullmatch(local_time["pattern"], "07:00:30")  # accepted as input too
    assert not re.fullmatch(local_time["pattern"], "24:00")


def test_every_list_documents_its_page_and_page_size_ranges(schema):
    lists = [
        (path, operation)
        for path, method, operation in _operations(schema)
        if method == "get" and _query(operation, "page")
    ]
    assert len(lists) >= 10
    for path, operation in lists:
        assert _query(operation, "page")["schema"] == {"type": "integer", "minimum": 1}, path
        size = _query(operation, "page_size")
        assert size is not None, f"{path} has no page_size"
        assert size["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}, path
        assert {"400", "404"} <= set(operation["responses"]), path


def test_stats_include_is_an_enum(schema):
    include = _query(schema["paths"]["/api/v1/me/stats/"]["get"], "include")
    assert include["schema"] == {"type": "string", "enum": ["heatmap"]}


def test_the_series_filter_on_minutes_is_a_whole_number_in_range(schema):
    max_minutes = _query(schema["paths"]["/api/v1/series/"]["get"], "max_minutes")
    assert max_minutes["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}


def test_the_series_text_filters_document_their_length(schema):
    operation = schema["paths"]["/api/v1/series/"]["get"]
    assert _query(operation, "search")["schema"]["maxLength"] == 100
    assert _query(operation, "body_part")["schema"]["maxLength"] == 50


def test_every_operation_documents_the_errors_of_its_inputs_and_credentials(schema):
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        security = operation.get("security", [{}])
        label = f"{method.upper()} {path}"
        assert "429" in codes, label
        if operation.get("requestBody"):
            assert {"400", "413", "415"} <= codes, label
        if any(security):  # a token is read: a bad one is a 401, even where none is needed
            assert "401" in codes, label
        assert ("403" in codes) == ({} not in security), label
        if "{" in path:
            assert "404" in codes, label
        for code, response in operation["responses"].items():
            if code >= "400" and "content" in response:
                assert list(response["content"]) == ["application/json"], label


def test_reading_the_library_needs_no_credentials_and_writing_does(schema, api_client):
    series = SeriesFactory()
    for path in ["/api/v1/series/", "/api/v1/series/{slug}/"]:
        read, write = schema["paths"][path]["get"], schema["paths"][path]
        write = write.get("post") or write.get("patch")
        assert {} in read["security"] and "403" not in read["responses"], path
        assert {} not in write["security"] and "403" in write["responses"], path
    assert api_client.get(f"/api/v1/series/{series.slug}/").status_code == 200
    refused = api_client.get("/api/v1/series/", HTTP_AUTHORIZATION="Token not-a-token")
    assert refused.status_code == 401  # documented: credentials sent are checked


def test_an_empty_step_area_and_a_missing_next_installment_match_the_schema(schema):
    """A step without an area reads ``""`` (a slug pattern would refuse it); a series
    without a next installment reads ``null`` (documented as nullable)."""
    components = schema["components"]["schemas"]
    for name in ["Step", "StaffStep"]:
        assert "pattern" not in components[name]["properties"]["area"], name
    assert components["StaffSeries"]["properties"]["next_installment"]["nullable"] is True

    routine = RoutineFactory(series=SeriesFactory(slug="calm"), steps=1)
    editor = APIClient()
    editor.force_authenticate(EditorFactory())
    staff = editor.get(f"/api/v1/series/calm/routines/{routine.pk}/").json()
    assert staff["steps"][0]["area"] == ""
    series = editor.patch("/api/v1/series/calm/", {"title": "Calmer"}, format="json").json()
    assert series["next_installment"] is None
    public = APIClient().get(f"/api/v1/routines/{routine.pk}/").json()
    assert public["steps"][0]["area"] == ""


def test_a_body_of_another_type_is_a_documented_415_in_json(schema, member_api):
    response = member_api.post("/api/v1/sessions/", "notes", content_type="text/plain")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert "text/plain" in response.json()["detail"]
    assert "415" in schema["paths"]["/api/v1/sessions/"]["post"]["responses"]
