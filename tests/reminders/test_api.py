"""/api/v1/me/reminders/: own schedules only, field errors on bad input, never a 500."""

import pytest
import time_machine

from reminders.models import ReminderSchedule
from tests.factories import RoutineFactory
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/reminders/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(utc(2026, 11, 22, 9, 0), tick=False):  # Sunday
        yield


def test_create_list_read_patch_delete(member_api, user):
    routine = RoutineFactory()
    response = member_api.post(
        URL,
        {"weekdays": [4, 0], "local_time": "12:30", "routine": routine.pk},
        format="json",
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["weekdays"] == [0, 4]
    assert body["local_time"] == "12:30"
    assert body["timezone"] == user.timezone == "UTC"
    assert body["routine"] == routine.pk
    assert body["active"] is True and body["skip_if_practised"] is False
    assert body["next_run_at"] == "2026-11-23T12:30:00Z"
    pk = body["id"]

    listing = member_api.get(URL).json()
    assert [item["id"] for item in listing["results"]] == [pk]

    response = member_api.patch(
        f"{URL}{pk}/", {"timezone": "Europe/Berlin", "routine": None}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.json()["next_run_at"] == "2026-11-23T11:30:00Z"  # 12:30 CET
    assert response.json()["weekdays"] == [0, 4]  # untouched by PATCH
    assert response.json()["routine"] is None

    response = member_api.patch(f"{URL}{pk}/", {"active": False}, format="json")
    assert response.json()["next_run_at"] is None

    assert member_api.get(f"{URL}{pk}/").status_code == 200
    assert member_api.delete(f"{URL}{pk}/").status_code == 204
    assert not ReminderSchedule.objects.exists()


def test_next_run_at_is_utc_even_when_the_member_zone_is_active(member_api, user):
    user.timezone = "Asia/Tokyo"
    user.save()
    response = member_api.post(URL, {"weekdays": [0], "local_time": "08:00"}, format="json")
    assert response.json()["timezone"] == "Asia/Tokyo"
    assert response.json()["next_run_at"] == "2026-11-22T23:00:00Z"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"weekdays": [], "local_time": "08:00"}, {"weekdays"}),
        ({"weekdays": [7], "local_time": "08:00"}, {"weekdays"}),
        ({"weekdays": [1, 1], "local_time": "08:00"}, {"weekdays"}),
        ({"weekdays": "mon", "local_time": "08:00"}, {"weekdays"}),
        ({"weekdays": [1], "local_time": "8 o'clock"}, {"local_time"}),
        ({"weekdays": [1], "local_time": "08:00", "timezone": "CET+1"}, {"timezone"}),
        ({"weekdays": [1], "local_time": "08:00", "routine": 99999}, {"routine"}),
        ({"weekdays": [1], "local_time": "08:00", "routine": "x"}, {"routine"}),
        ({"weekdays": [1], "local_time": "08:00", "active": "maybe"}, {"active"}),
        ({}, {"weekdays", "local_time"}),
    ],
)
def test_garbage_is_a_400_with_field_errors(member_api, payload, fields):
    response = member_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert fields <= set(response.json())
    assert not ReminderSchedule.objects.exists()


def test_non_object_bodies_are_400(member_api):
    assert member_api.post(URL, [1, 2], format="json").status_code == 400
    response = member_api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_unpublished_routine_is_a_field_error(member_api):
    from tests.factories import SeriesFactory

    draft = RoutineFactory(series=SeriesFactory(status="draft", published_at=None))
    response = member_api.post(
        URL, {"weekdays": [1], "local_time": "08:00", "routine": draft.pk}, format="json"
    )
    assert response.status_code == 400 and "routine" in response.json()


def test_others_ids_are_404_and_untouched(member_api, other_user):
    theirs = schedule_for(other_user)
    assert member_api.get(f"{URL}{theirs.pk}/").status_code == 404
    response = member_api.patch(f"{URL}{theirs.pk}/", {"active": False}, format="json")
    assert response.status_code == 404
    assert member_api.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert member_api.get(URL).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.active


def test_put_is_not_offered_and_anonymous_is_refused(member_api, api_client, user):
    mine = schedule_for(user)
    assert member_api.put(f"{URL}{mine.pk}/", {}, format="json").status_code == 405
    assert api_client.get(URL).status_code == 401


def test_a_paused_schedule_has_no_next_run_and_the_schema_says_it_may_be_null(member_api):
    """Issue 14: a PATCH to ``active: false`` answered ``next_run_at: null`` where the
    schema promised a date-time."""
    created = member_api.post(URL, {"weekdays": [0, 2], "local_time": "07:00"}, format="json")
    paused = member_api.patch(f"{URL}{created.json()['id']}/", {"active": False}, format="json")
    assert paused.status_code == 200
    assert paused.json()["next_run_at"] is None

    schema = member_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    fields = schema["components"]["schemas"]["ReminderSchedule"]["properties"]
    assert fields["next_run_at"]["nullable"] is True
    # What the serializer refuses (no day, a day twice) is what the schema says.
    assert fields["weekdays"]["minItems"] == 1 and fields["weekdays"]["uniqueItems"] is True
