"""``SessionLogSerializer`` shares its bound fields between requests (``_shared_fields``).

Only fields that hold no per-request state may be shared: the ``routine`` field reads
the member from the context, so it is built per serializer; partial serializers bind
their own fields. Validation must give the same field messages on every request, and
nothing from one request's validation may reach the next.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from routines.models import NOTES_MAX_LENGTH, Series, SessionLog
from routines.serializers import SessionLogSerializer, SessionLogUpdateSerializer
from tests.factories import RoutineFactory, SeriesFactory, UserFactory
from tests.factories import session_payload as payload

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/sessions/"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def draft_routine():
    return RoutineFactory(series=SeriesFactory(status=Series.Status.DRAFT, published_at=None))


# --- the routine field reads each request's member ----------------------------------------


def test_the_routine_field_follows_each_requests_member(draft_routine, staff_user):
    member = UserFactory()
    missing = {"routine": [f'Invalid pk "{draft_routine.pk}" - object does not exist.']}

    first = api_for(member).post(SESSIONS, payload(draft_routine), format="json")
    assert first.status_code == 400
    assert first.json() == missing

    staff = api_for(staff_user).post(SESSIONS, payload(draft_routine), format="json")
    assert staff.status_code == 201, staff.content
    assert staff.json()["routine"] == draft_routine.pk

    again = api_for(member).post(SESSIONS, payload(draft_routine), format="json")
    assert again.status_code == 400
    assert again.json() == missing

    assert not SessionLog.objects.filter(user=member).exists()
    assert SessionLog.objects.filter(user=staff_user, routine=draft_routine).count() == 1


def test_the_staff_members_routine_is_not_kept_for_the_next_member(draft_routine, staff_user):
    """Staff first, then a member: a routine field shared from staff's request would
    accept the draft for the member."""
    assert api_for(staff_user).post(
        SESSIONS, payload(draft_routine), format="json"
    ).status_code == (201)
    response = api_for(UserFactory()).post(SESSIONS, payload(draft_routine), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["routine"]


# --- which fields are shared --------------------------------------------------------------


def test_context_free_fields_are_shared_and_the_routine_is_not():
    first, second = SessionLogSerializer(), SessionLogSerializer()
    assert first.fields is not second.fields
    for name in ("notes", "started_at", "tension_before", "rating", "client_id", "id"):
        assert first.fields[name] is second.fields[name], name
    assert first.fields["routine"] is not second.fields["routine"]
    assert SessionLogSerializer.context_fields == {"routine"}
    # The routine field is bound to its own serializer and sees that serializer's context.
    request = object()
    with_context = SessionLogSerializer(context={"request": request})
    assert with_context.fields["routine"].parent is with_context
    assert with_context.fields["routine"].context == {"request": request}
    assert list(first.fields) == list(SessionLogSerializer._declared_fields)


def test_shared_fields_are_per_class():
    create, update = SessionLogSerializer(), SessionLogUpdateSerializer()
    assert create.fields["notes"] is not update.fields["notes"]
    assert update.fields["notes"] is SessionLogUpdateSerializer().fields["notes"]
    assert create.fields["client_id"].read_only is False
    assert update.fields["client_id"].read_only is True


def test_a_partial_serializer_binds_its_own_fields():
    shared = SessionLogUpdateSerializer().fields
    first = SessionLogUpdateSerializer(partial=True)
    second = SessionLogUpdateSerializer(partial=True)
    for name in ("notes", "rating", "started_at", "routine"):
        assert first.fields[name] is not shared[name], name
        assert first.fields[name] is not second.fields[name], name
        assert first.fields[name].root is first
    # A partial update leaves out what it does not send; a full one fills in defaults.
    partial = SessionLogUpdateSerializer(data={"rating": 4}, partial=True)
    assert partial.is_valid(), partial.errors
    assert partial.validated_data == {"rating": 4}
    full = SessionLogSerializer(data={"rating": 4})
    assert not full.is_valid()
    assert set(full.errors) == {"routine", "started_at", "ended_at"}


def test_a_partial_update_between_full_posts_leaves_the_posts_unchanged(user):
    """The PATCH serializer may skip missing fields; the shared full ones never do."""
    client = api_for(user)
    routine = RoutineFactory()
    created = client.post(SESSIONS, payload(routine, rating=5, notes="kept"), format="json")
    assert created.status_code == 201
    patched = client.patch(f"{SESSIONS}{created.json()['id']}/", {"rating": 2}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["rating"] == 2 and patched.json()["notes"] == "kept"
    missing = client.post(SESSIONS, {"rating": 3}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {
        "routine": ["This field is required."],
        "started_at": ["This field is required."],
        "ended_at": ["This field is required."],
    }
    plain = client.post(SESSIONS, payload(routine), format="json")
    assert plain.status_code == 201
    assert plain.json()["notes"] == "" and plain.json()["rating"] is None  # defaults applied


# --- the same messages on every request ----------------------------------------------------


BAD = {
    "tension_before": 11,
    "rating": 0,
    "notes": "x" * (NOTES_MAX_LENGTH + 1),
    "started_at": "2026-03-10T09:00:00",
    "client_id": 5,
}
MESSAGES = {
    "tension_before": ["Ensure this value is less than or equal to 10."],
    "rating": ["Ensure this value is greater than or equal to 1."],
    "notes": [f"Ensure this field has no more than {NOTES_MAX_LENGTH} characters."],
    "started_at": ["Include a UTC offset, e.g. 2026-03-10T09:00:00+01:00 or ...Z."],
    "client_id": ["Must be a valid UUID."],
}


def test_bad_values_give_the_same_messages_before_and_after_a_good_request(user):
    client = api_for(user)
    routine = RoutineFactory()
    first = client.post(SESSIONS, payload(routine, **BAD), format="json")
    assert first.status_code == 400
    assert first.json() == MESSAGES

    good = client.post(SESSIONS, payload(routine, tension_before=7, rating=4), format="json")
    assert good.status_code == 201, good.content
    assert good.json()["tension_before"] == 7 and good.json()["rating"] == 4

    again = client.post(SESSIONS, payload(routine, **BAD), format="json")
    assert again.status_code == 400
    assert again.json() == MESSAGES
    assert SessionLog.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("field", sorted(BAD))
def test_each_bad_value_alone_gives_only_its_message(user, field):
    client = api_for(user)
    routine = RoutineFactory()
    for _ in range(2):
        response = client.post(SESSIONS, payload(routine, **{field: BAD[field]}), format="json")
        assert response.status_code == 400
        assert response.json() == {field: MESSAGES[field]}
        assert client.post(SESSIONS, payload(routine), format="json").status_code == 201


def test_one_members_errors_never_reach_another_members_request():
    alice, bob = UserFactory(), UserFactory()
    routine = RoutineFactory()
    bad = api_for(alice).post(SESSIONS, payload(routine, **BAD), format="json")
    assert bad.status_code == 400
    good = api_for(bob).post(SESSIONS, payload(routine, notes="fine"), format="json")
    assert good.status_code == 201, good.content
    assert good.json()["notes"] == "fine"


def test_serializer_instances_validate_independently(user):
    """Two serializers alive at once (as in two threads) keep their own results."""

    class Request:
        pass

    request = Request()
    request.user = user
    routine = RoutineFactory()
    bad = SessionLogSerializer(data=payload(routine, **BAD), context={"request": request})
    good = SessionLogSerializer(
        data=payload(routine, notes="mine", rating=3), context={"request": request}
    )
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert {k: [str(m) for m in v] for k, v in bad.errors.items()} == MESSAGES
    assert good.validated_data["notes"] == "mine" and good.validated_data["rating"] == 3
    assert good.validated_data["routine"].pk == routine.pk
    assert good.errors == {}
