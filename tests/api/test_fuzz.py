"""API fuzzing: schemathesis generates requests for every operation of /api/schema/,
anonymously, as a member and as an editor; none may answer 5xx and every answer must
match the schema (status code, content type and body).

Speed: the library, the members and their data are made once for the module, in a
transaction rolled back at its end; each generated request runs in a savepoint rolled
back after it, so every example starts from the same data without a flush.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from wellness.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# No 5xx, and every answer documented: its status code, content type and body shape.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The suite's run: a few examples per operation (each sent in every role), valid and
# invalid, within its time budget. KNEADFUL_FUZZ_DEEP=1 adds schemathesis' coverage phase
# (every boundary and wrong-type case the schema defines: about 3,700 requests per role,
# many minutes) and more examples.
DEEP = os.environ.get("KNEADFUL_FUZZ_DEEP") == "1"
schema.config.phases.coverage.enabled = DEEP
FUZZ = settings(
    max_examples=50 if DEEP else 6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
ROLES = ["anonymous", "member", "editor"]


@dataclass
class Seeded:
    """What the fuzzed requests find in the database: the credentials of each role and,
    per path parameter set, the values that name a real object."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    # path template -> path parameter sets naming existing objects
    paths: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # body field -> a value naming an existing object (or a member's credentials)
    fields: dict[str, Any] = field(default_factory=dict)


SEEDED = Seeded()


def _seed() -> None:
    from accounts.services import api_token_create
    from reminders.services import reminder_schedule_create
    from routines.models import Series
    from routines.services import favourite_set
    from tests.factories import (
        CampaignFactory,
        EditorFactory,
        OfferFactory,
        RoutineFactory,
        SeriesFactory,
        SessionLogFactory,
        UserFactory,
    )

    live = SeriesFactory(slug="fuzz-live")
    live_routine = RoutineFactory(series=live, steps=2)
    draft = SeriesFactory(slug="fuzz-draft", status=Series.Status.DRAFT)
    draft_routine = RoutineFactory(series=draft, steps=2)
    member, editor = UserFactory(), EditorFactory()
    campaign = CampaignFactory(created_by=editor)
    offer = OfferFactory(created_by=editor)

    SEEDED.headers = {"anonymous": {}}
    own: dict[str, list[int]] = {"sessions": [], "reminders": [], "tokens": []}
    for role, user in [("member", member), ("editor", editor)]:
        _, key = api_token_create(user=user)
        SEEDED.headers[role] = {"Authorization": f"Token {key}"}
        spare, _ = api_token_create(user=user, name="Spare")
        own["tokens"].append(spare.pk)
        own["sessions"].append(SessionLogFactory(user=user, routine=live_routine).pk)
        own["reminders"].append(
            reminder_schedule_create(
                user=user, weekdays=[0, 3], local_time=dt.time(7), routine=live_routine
            ).pk
        )
        favourite_set(user=user, series=live, favourite=True)

    series = [
        {"slug": s.slug, "id": r.pk, "step_pk": r.steps.order_by("position").first().pk}
        for s, r in [(live, live_routine), (draft, draft_routine)]
    ]
    started = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    SEEDED.fields = {
        "routine": live_routine.pk,
        "started_at": started.isoformat(),
        "ended_at": (started + dt.timedelta(minutes=10)).isoformat(),
        "timezone": "Europe/Paris",
        "series": live.slug,
        "body_parts": ["hands"],
        "next_installment": live.slug,
        "email": member.email,
        "password": "correct-horse-battery",  # UserFactory's
    }
    SEEDED.paths = {
        "/api/v1/campaigns/{id}/": [{"id": campaign.pk}],
        "/api/v1/offers/{id}/": [{"id": offer.pk}],
        "/api/v1/routines/{id}/": [{"id": live_routine.pk}, {"id": draft_routine.pk}],
        "/api/v1/sessions/{id}/": [{"id": pk} for pk in own["sessions"]],
        "/api/v1/me/reminders/{id}/": [{"id": pk} for pk in own["reminders"]],
        "/api/v1/me/tokens/{id}/": [{"id": pk} for pk in own["tokens"]],
        "/api/v1/me/favourites/{slug}/": [{"slug": live.slug}, {"slug": draft.slug}],
        "/api/v1/series/{slug}/": series,
    }


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any]):
    """Most of the time, the path names a real object instead of what was generated: a
    published or draft series with its routine and step, the member's or the editor's
    own session log, reminder or token (another member's, for the other role)..."""
    path = context.operation.path
    real = [
        {**path_parameters, **{k: v for k, v in values.items() if k in path_parameters}}
        for prefix, sets in SEEDED.paths.items()
        if path.startswith(prefix)  # /series/{slug}/ also names /series/{slug}/publish/'s
        for values in sets
    ]
    return st.sampled_from([*real, path_parameters])


@schema.hook
def flatmap_body(context, body: Any):
    """Half the time, the fields of a body that name other objects name real ones (a
    routine to log, a series to favourite, body parts...), so that valid bodies get past
    the lookups to the rules behind them."""
    if not isinstance(body, dict):
        return st.just(body)
    real = {name: value for name, value in SEEDED.fields.items() if name in body}
    return st.sampled_from([{**body, **real}, body] if real else [body])


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[Seeded]:
    """The module's data, made once and rolled back after its last test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        _seed()
    yield SEEDED
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def in_process(db) -> Iterator[None]:
    """Requests run in the test's transaction, as Django's test client runs them: the
    request signals must not close the connection (that would end the transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@FUZZ
def test_every_operation_in_every_role(case, seeded, in_process):
    """Each generated request is sent anonymously, as a member and as an editor, each
    time from the same data (a savepoint rolled back after it)."""
    for role in ROLES:
        try:
            with transaction.atomic():
                case.call_and_validate(headers=seeded.headers[role], checks=CHECKS)
                transaction.set_rollback(True)
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            exc.add_note(f"The failing request was sent as: {role}")
            raise
        finally:
            cache.clear()
