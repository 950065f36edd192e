"""Editors' writes to series, routines and steps (routines.services.editing / content)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from routines.models import AuditEntry, Routine, Series, Step
from routines.services import (
    routine_create,
    routine_delete,
    routine_move,
    routine_update,
    routines_reorder,
    series_create,
    series_publish,
    series_update,
    step_create,
    step_delete,
    step_move,
    step_update,
    steps_reorder,
)
from tests.factories import (
    BodyPartFactory,
    RoutineFactory,
    SeriesFactory,
    SessionLogFactory,
    image_bytes,
    image_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _positions(routine: Routine) -> list[tuple[str, int]]:
    return list(routine.steps.order_by("position").values_list("title", "position"))


def _draft(**fields) -> Series:
    return SeriesFactory(status=Series.Status.DRAFT, **fields)


# --- Series ---------------------------------------------------------------------------------


def test_create_makes_a_unique_slug_from_the_title_and_records_it(editor_user):
    hands = BodyPartFactory(slug="hands", name="Hands")
    first = series_create(actor=editor_user, title="Calm hands", body_parts=[hands])
    second = series_create(actor=editor_user, title="  Calm hands ", body_parts=[hands])
    assert (first.slug, second.slug) == ("calm-hands", "calm-hands-2")
    assert first.status == Series.Status.DRAFT and first.published_at is None
    entry = AuditEntry.objects.get(series=first)
    assert (entry.action, entry.actor, entry.target) == ("create", editor_user, "series")
    assert entry.changes["title"] == {"old": None, "new": "Calm hands"}
    assert entry.changes["body_parts"] == {"old": None, "new": ["hands"]}


def test_create_needs_a_title_and_reports_a_taken_slug_in_words(editor_user):
    _draft(slug="taken")
    with pytest.raises(ValidationError) as caught:
        series_create(actor=editor_user, title=" ")
    assert caught.value.message_dict["title"] == ["Give the series a title."]
    with pytest.raises(ValidationError) as caught:
        series_create(actor=editor_user, title="Other", slug="taken")
    assert "already uses this slug" in caught.value.message_dict["slug"][0]


def test_update_records_only_what_changed_with_old_and_new_values(editor_user):
    series = _draft(title="Old title", estimated_minutes=10)
    series_update(actor=editor_user, series=series, title="New title", estimated_minutes=10)
    entry = AuditEntry.objects.get(series=series, action="edit")
    assert entry.changes == {"title": {"old": "Old title", "new": "New title"}}
    series_update(actor=editor_user, series=series, title="New title")
    assert AuditEntry.objects.filter(series=series, action="edit").count() == 1


def test_contraindications_are_trimmed_statements_with_limits(editor_user):
    series = _draft()
    updated = series_update(
        actor=editor_user, series=series, contraindications=[" No wounds ", "", "No fever"]
    )
    assert updated.contraindications == ["No wounds", "No fever"]
    with pytest.raises(ValidationError) as caught:
        series_update(actor=editor_user, series=series, contraindications=["x" * 301])
    assert "Statement 1 is longer than 300 characters" in caught.value.messages[0]


def test_slug_is_stable_once_published_even_after_unpublishing(editor_user):
    series = _draft(slug="first-address")
    RoutineFactory(series=series, steps=1)
    renamed = series_update(actor=editor_user, series=series, slug="better-address")
    assert renamed.slug == "better-address"
    series_publish(series=renamed, actor=editor_user)
    with pytest.raises(ValidationError) as caught:
        series_update(actor=editor_user, series=renamed, slug="another")
    assert "stays the same once it has been published" in caught.value.message_dict["slug"][0]
    # Editing a published series is allowed otherwise.
    edited = series_update(actor=editor_user, series=renamed, title="Live and edited")
    assert (edited.title, edited.status, edited.slug) == (
        "Live and edited",
        "published",
        "better-address",
    )


def test_a_series_is_not_its_own_next_installment(editor_user):
    series = _draft()
    with pytest.raises(ValidationError) as caught:
        series_update(actor=editor_user, series=series, next_installment=series)
    assert caught.value.message_dict["next_installment"]


# --- Cover image ---------------------------------------------------------------------------


def test_cover_is_stored_through_the_storage_api_and_replaced_files_are_removed(
    editor_user, django_capture_on_commit_callbacks
):
    series = _draft(slug="covered")
    with django_capture_on_commit_callbacks(execute=True):
        series = series_update(
            actor=editor_user, series=series, cover=image_upload(), cover_alt="Two hands"
        )
    first = series.cover.name
    assert first.startswith("covers/covered-") and first.endswith(".png")
    assert default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        series = series_update(
            actor=editor_user, series=series, cover=image_upload("x.jpg", "JPEG")
        )
    assert series.cover.name.endswith(".jpg") and default_storage.exists(series.cover.name)
    assert not default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        series = series_update(actor=editor_user, series=series, cover=None)
    assert not series.cover
    edit = AuditEntry.objects.filter(series=series, action="edit").latest("pk")
    assert edit.changes["cover"]["new"] == ""


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: image_upload("a.gif", "GIF"), "PNG, JPEG or WebP image (this one is GIF)"),
        (lambda: SimpleUploadedFile("a.png", b"not an image"), "not one we can read"),
        (
            lambda: SimpleUploadedFile("big.png", image_bytes() + b"\0" * (2 * 1024 * 1024)),
            "the limit is 2 MB",
        ),
    ],
)
def test_cover_type_and_size_are_checked(editor_user, upload, message):
    series = _draft()
    with pytest.raises(ValidationError) as caught:
        series_update(actor=editor_user, series=series, cover=upload(), cover_alt="A picture")
    assert message in caught.value.message_dict["cover"][0]
    series.refresh_from_db()
    assert not series.cover


def test_a_cover_needs_its_description(editor_user):
    with pytest.raises(ValidationError) as caught:
        series_update(actor=editor_user, series=_draft(), cover=image_upload(), cover_alt=" ")
    assert caught.value.message_dict["cover_alt"] == [
        "Describe the cover image for people who cannot see it."
    ]


# --- Routines and steps ------------------------------------------------------------------------


def test_routines_and_steps_are_added_at_the_end(editor_user):
    series = _draft()
    warm = routine_create(actor=editor_user, series=series, title="Warm up")
    cool = routine_create(actor=editor_user, series=series, title="Cool down", per_side=True)
    assert [(r.slug, r.position) for r in (warm, cool)] == [("warm-up", 1), ("cool-down", 2)]
    for title in ("One", "Two", "Three"):
        step_create(actor=editor_user, routine=warm, title=title, instruction="Press.")
    assert _positions(warm) == [("One", 1), ("Two", 2), ("Three", 3)]
    created = AuditEntry.objects.filter(series=series, action="create", target="step")
    assert created.count() == 3


def test_step_fields_get_messages_for_people(editor_user):
    routine = RoutineFactory(series=_draft(), steps=1)
    with pytest.raises(ValidationError) as caught:
        step_create(
            actor=editor_user,
            routine=routine,
            title="",
            instruction="Press.",
            duration_seconds=0,
            repetitions=0,
        )
    errors = caught.value.message_dict
    assert errors["title"] == ["Give the step a title."]
    assert errors["duration_seconds"] == ["A step lasts at least 1 second."]
    assert errors["repetitions"] == ["A step is done at least once."]
    step = routine.steps.get()
    with pytest.raises(ValidationError) as caught:
        step_update(actor=editor_user, step=step, duration_seconds=3601)
    assert caught.value.message_dict["duration_seconds"] == [
        "A step lasts at most 1 hour (3600 seconds)."
    ]


def test_routine_slug_unique_within_its_series_in_words(editor_user):
    series = _draft()
    routine_create(actor=editor_user, series=series, title="Warm", slug="warm")
    other = routine_create(actor=editor_user, series=series, title="Other")
    with pytest.raises(ValidationError) as caught:
        routine_update(actor=editor_user, routine=other, slug="warm")
    assert caught.value.message_dict["slug"] == [
        "Another routine of this series already has this slug."
    ]


def test_step_reorder_keeps_positions_dense_and_records_it(editor_user):
    routine = RoutineFactory(series=_draft(), steps=4)
    a, b, c, d = routine.steps.order_by("position")
    steps_reorder(actor=editor_user, routine=routine, order=[d.pk, b.pk, a.pk, c.pk])
    assert _positions(routine) == [("Step 4", 1), ("Step 2", 2), ("Step 1", 3), ("Step 3", 4)]
    entry = AuditEntry.objects.get(action="reorder")
    assert entry.target == "routine" and entry.changes["steps"]["new"][0] == "Step 4"
    step_move(actor=editor_user, step=a, offset=-1)
    assert [title for title, _ in _positions(routine)] == ["Step 4", "Step 1", "Step 2", "Step 3"]
    step_move(actor=editor_user, step=d, offset=-1)  # already first: nothing changes
    step_move(actor=editor_user, step=c, offset=1)  # already last
    assert [p for _, p in _positions(routine)] == [1, 2, 3, 4]
    assert AuditEntry.objects.filter(action="reorder").count() == 2


def test_reorder_must_list_every_step_once(editor_user):
    routine = RoutineFactory(series=_draft(), steps=3)
    a, b, c = routine.steps.order_by("position").values_list("pk", flat=True)
    other = RoutineFactory(series=routine.series, steps=1).steps.get().pk
    for order in ([a, b], [a, b, b], [a, b, other], [a, b, c, other]):
        with pytest.raises(ValidationError) as caught:
            steps_reorder(actor=editor_user, routine=routine, order=order)
        assert "each step of this routine exactly once" in caught.value.messages[0]
    assert [p for _, p in _positions(routine)] == [1, 2, 3]


def test_reorder_is_one_transaction(editor_user):
    """A failure half-way leaves every position as it was."""
    routine = RoutineFactory(series=_draft(), steps=3)
    before = _positions(routine)
    a, b, c = routine.steps.order_by("position").values_list("pk", flat=True)
    with (
        mock.patch.object(Step.objects, "bulk_update", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        steps_reorder(actor=editor_user, routine=routine, order=[c, b, a])
    assert _positions(routine) == before
    assert not AuditEntry.objects.filter(action="reorder").exists()


def test_step_positions_stay_unique_in_the_database(editor_user):
    routine = RoutineFactory(series=_draft(), steps=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.filter(routine=routine, position=2).update(position=1)


def test_deleting_steps_and_routines_closes_ranks(editor_user):
    series = _draft()
    first = RoutineFactory(series=series, position=1, steps=3)
    second = RoutineFactory(series=series, position=2, steps=1)
    third = RoutineFactory(series=series, position=3, steps=1)
    step_delete(actor=editor_user, step=first.steps.get(position=2))
    assert _positions(first) == [("Step 1", 1), ("Step 3", 2)]
    routine_delete(actor=editor_user, routine=second)
    assert list(series.routines.order_by("position").values_list("pk", "position")) == [
        (first.pk, 1),
        (third.pk, 2),
    ]
    routine_move(actor=editor_user, routine=third, offset=-1)
    assert list(series.routines.order_by("position").values_list("pk", flat=True)) == [
        third.pk,
        first.pk,
    ]
    routines_reorder(actor=editor_user, series=series, order=[first.pk, third.pk])
    assert list(series.routines.order_by("position").values_list("position", flat=True)) == [1, 2]
    removed = AuditEntry.objects.filter(action="delete").order_by("pk")
    assert [(e.target, e.target_label) for e in removed] == [
        ("step", "Step 2"),
        ("routine", second.title),
    ]


def test_a_routine_members_logged_stays(editor_user):
    routine = RoutineFactory()
    SessionLogFactory(routine=routine)
    with pytest.raises(ValidationError) as caught:
        routine_delete(actor=editor_user, routine=routine)
    assert "Members have logged sessions of" in caught.value.messages[0]
    assert Routine.objects.filter(pk=routine.pk).exists()


def test_a_live_series_keeps_a_routine_with_a_step(editor_user):
    series = SeriesFactory()  # published
    only = RoutineFactory(series=series, steps=1)
    empty = RoutineFactory(series=series, position=2, steps=0)
    with pytest.raises(ValidationError) as caught:
        step_delete(actor=editor_user, step=only.steps.get())
    assert "must keep at least one routine with at least one step" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        routine_delete(actor=editor_user, routine=only)
    routine_delete(actor=editor_user, routine=empty)  # the empty one may go
    assert list(series.routines.values_list("pk", flat=True)) == [only.pk]
    assert only.steps.count() == 1


def test_an_unknown_field_is_a_programming_error(editor_user):
    with pytest.raises(TypeError, match="Unknown SeriesFields: colour"):
        series_create(actor=editor_user, title="T", colour="blue")
    with pytest.raises(TypeError, match="Unknown StepFields: lenght"):
        step_create(actor=editor_user, routine=RoutineFactory(), title="T", lenght=3)
