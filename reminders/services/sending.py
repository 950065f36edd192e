"""Sending the reminders of queued ledger rows: claim, check, build, send, mark."""

from __future__ import annotations

import datetime as dt
import functools
import time
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone as tz

from accounts.emails import Category, email_allowed_user_ids
from reminders.models import ReminderOccurrence
from reminders.selectors import reminder_default_routine
from reminders.services.actions import REMINDER_ACTION_SALTS, reminder_action_token
from reminders.services.dispatch import REMINDER_LATE_LIMIT
from routines.selectors import member_practised_on
from wellness import emails
from wellness.db import db_call_outliving_disconnect

REMINDER_MAX_ATTEMPTS = 6
# A sender refreshes its claim this often between two messages, far below
# REMINDER_STALE_SENDING (90 s): the sweep never takes rows from a living sender.
REMINDER_CLAIM_RENEW_SECONDS = 15.0
# After a 250, recording 'sent' survives a database restart this long (reconnecting):
# failing there would leave the row to the sweep, which sends the message a second time.
# Well below REMINDER_STALE_SENDING - REMINDER_CLAIM_RENEW_SECONDS, so the claim still holds.
REMINDER_MARK_SENT_PATIENCE_SECONDS = 20.0
# Context keys of a reminder that belong to one member (the rest is shared by a group).
REMINDER_PERSONAL_KEYS = frozenset({"user", "occurrence", "done_url", "rest_url"})
# The reminder's templates: templates/reminders/email/reminder{_subject.txt,.txt,.html}.
REMINDER_EMAIL_TEMPLATE = "reminders/email/reminder"


@dataclass
class ReminderSendSummary:
    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=dict)
    not_claimed: list[int] = field(default_factory=list)


def _occurrences_claim(*, ids: Sequence[int], now: dt.datetime) -> list[int]:
    """Atomically move queued rows to 'sending'; returns only the rows this caller won."""
    with transaction.atomic():
        claimed = list(
            ReminderOccurrence.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(ids), status=ReminderOccurrence.Status.QUEUED)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if claimed:
            ReminderOccurrence.objects.filter(id__in=claimed).update(
                status=ReminderOccurrence.Status.SENDING,
                attempts=F("attempts") + 1,
                claimed_at=now,
                updated_at=now,
            )
    return claimed


def _occurrence_mark(
    ids: Sequence[int], status: str, *, claim: dt.datetime | None = None, **fields: Any
) -> None:
    """Finish rows this caller holds ('sending', and still its claim when given)."""
    if ids:
        rows = ReminderOccurrence.objects.filter(
            id__in=list(ids), status=ReminderOccurrence.Status.SENDING
        )
        if claim is not None:
            rows = rows.filter(claimed_at=claim)
        rows.update(status=status, updated_at=tz.now(), **fields)


def _claim_renew(*, ids: Sequence[int], claim: dt.datetime, now: dt.datetime) -> set[int]:
    """Refresh ``claimed_at`` of the rows still held under ``claim`` so the sweep never
    mistakes a slow but living sender for a dead one; returns the rows still held."""
    with transaction.atomic():
        held = list(
            ReminderOccurrence.objects.select_for_update()
            .filter(id__in=list(ids), status=ReminderOccurrence.Status.SENDING, claimed_at=claim)
            .values_list("id", flat=True)
        )
        ReminderOccurrence.objects.filter(id__in=held).update(claimed_at=now, updated_at=now)
    return set(held)


@functools.lru_cache(maxsize=16)
def _reminder_url_patterns(root_urlconf: str, urlconf: str | None) -> dict[str, str]:
    """``reverse()`` once per URL conf: a chunk of reminders then only formats strings."""
    from django.urls import reverse

    patterns = {
        action: reverse(
            "reminders:action",
            kwargs={"action": action, "token": "TOKEN"},
            urlconf=urlconf,
        ).replace("TOKEN", "{token}")
        for action in REMINDER_ACTION_SALTS
    }
    patterns["schedules"] = reverse("reminders:list", urlconf=urlconf)
    return patterns


def _reminder_url(key: str, **params: str) -> str:
    from django.urls import get_urlconf

    pattern = _reminder_url_patterns(settings.ROOT_URLCONF, get_urlconf())[key]
    return settings.SITE_URL + pattern.format(**params)


def reminder_action_url(*, occurrence_id: int, action: str) -> str:
    """The absolute, login-free link of one action on one ledger row."""
    token = reminder_action_token(occurrence_id=occurrence_id, action=action)
    return _reminder_url(action, token=token)


def reminder_email_context(
    *, occurrence: ReminderOccurrence, memo: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """The reminder template's context. ``memo`` (one dict per chunk) keeps what every
    message of a chunk shares (routine links, zones) from being computed per message."""
    memo = {} if memo is None else memo
    routine = occurrence.routine
    zone_name = occurrence.schedule.timezone
    zone = memo.get(("zone", zone_name))
    if zone is None:
        zone = memo[("zone", zone_name)] = zoneinfo.ZoneInfo(zone_name)
    routine_url = ""
    if routine is not None:
        routine_url = memo.get(("routine_url", routine.pk))
        if routine_url is None:
            routine_url = settings.SITE_URL + routine.series.get_absolute_url()
            memo[("routine_url", routine.pk)] = routine_url
    return {
        "user": occurrence.user,
        "occurrence": occurrence,
        "routine": routine,
        "routine_url": routine_url,
        "local_date": occurrence.local_date,
        "local_time": occurrence.due_at.astimezone(zone),
        "done_url": reminder_action_url(
            occurrence_id=occurrence.id, action=ReminderOccurrence.Action.DONE
        ),
        "rest_url": reminder_action_url(
            occurrence_id=occurrence.id, action=ReminderOccurrence.Action.REST
        ),
        "schedules_url": _reminder_url("schedules"),
    }


def _occurrence_mark_sent(*, occurrence_id: int, claim: dt.datetime) -> None:
    """Record the 250 of one row. The message is already accepted: if the database
    connection dies here (a restart or failover), giving up would let the sweep send it
    again, so the statement is repeated on a fresh connection for a bounded time."""
    db_call_outliving_disconnect(
        functools.partial(_occurrence_mark_sent_once, occurrence_id=occurrence_id, claim=claim),
        patience_seconds=REMINDER_MARK_SENT_PATIENCE_SECONDS,
    )


def _occurrence_mark_sent_once(*, occurrence_id: int, claim: dt.datetime) -> None:
    """``_occurrence_mark([id], SENT, claim=...)`` in plain SQL.

    Runs right after each server 250 (the at-most-once window is this one round trip), so
    it is on the hot path: plain SQL skips building an ORM query per message.
    """
    meta = ReminderOccurrence._meta
    column = {
        name: db_connection.ops.quote_name(meta.get_field(name).column)
        for name in ("id", "status", "sent_at", "updated_at", "last_error", "claimed_at")
    }
    now = tz.now()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {db_connection.ops.quote_name(meta.db_table)} SET {column['status']} = %s, "  # noqa: S608
            f"{column['sent_at']} = %s, {column['updated_at']} = %s, {column['last_error']} = '' "
            f"WHERE {column['id']} = %s AND {column['status']} = %s "
            f"AND {column['claimed_at']} = %s",
            [
                ReminderOccurrence.Status.SENT.value,
                now,
                now,
                occurrence_id,
                ReminderOccurrence.Status.SENDING.value,
                claim,
            ],
        )


def reminder_occurrences_send(
    *,
    occurrence_ids: Sequence[int],
    now: dt.datetime | None = None,
    connection: Any = None,
) -> ReminderSendSummary:
    """Send the reminder of each queued ledger row in ``occurrence_ids``, once.

    Rows are claimed atomically (queued -> sending); rows another worker holds, or that
    are already finished, are left alone. Send-time checks: more than an hour late ->
    skipped_late; recipient not allowed -> skipped_not_allowed; "skip if practised" and a
    session on that local day -> skipped_practised. The messages share one SMTP
    connection, and each row is marked sent right after the server accepted its message,
    so a crash can repeat at most the one message in flight (see README: delivery).
    Transient failures go back to 'queued' for a retry; permanent ones are 'failed'.
    """
    from django.core.mail import get_connection

    now = now or tz.now()
    summary = ReminderSendSummary()
    # The claim's age counts from here, not from when the messages are built.
    claimed_clock = time.monotonic()
    claimed = _occurrences_claim(ids=occurrence_ids, now=now)
    summary.not_claimed = sorted(set(occurrence_ids) - set(claimed))
    if not claimed:
        return summary
    occurrences = list(
        ReminderOccurrence.objects.filter(id__in=claimed)
        .select_related("user", "schedule", "routine__series")
        .order_by("id")
    )
    allowed = email_allowed_user_ids(
        user_ids={occ.user_id for occ in occurrences}, category=Category.REMINDERS
    )
    skipped: dict[str, list[int]] = {}
    outgoing: list[tuple[ReminderOccurrence, Any]] = []
    memo: dict[Any, Any] = {}
    renderers: dict[tuple[Any, ...], Any] = {}
    for occ in occurrences:
        if now - occ.due_at > REMINDER_LATE_LIMIT:
            reason = ReminderOccurrence.Status.SKIPPED_LATE
        elif occ.user_id not in allowed:
            reason = ReminderOccurrence.Status.SKIPPED_NOT_ALLOWED
        elif occ.schedule.skip_if_practised and member_practised_on(
            user=occ.user, local_date=occ.local_date
        ):
            reason = ReminderOccurrence.Status.SKIPPED_PRACTISED
        else:
            if occ.routine_id is None:
                occ.routine = reminder_default_routine()
            context = reminder_email_context(occurrence=occ, memo=memo)
            # Members who share the routine, day and local time share one rendering of
            # the templates; only their names and signed links differ.
            group = (context["routine"] and context["routine"].pk, occ.local_date, occ.due_at)
            group += (occ.schedule.timezone,)
            renderer = renderers.get(group)
            if renderer is None:
                shared = {k: v for k, v in context.items() if k not in REMINDER_PERSONAL_KEYS}
                renderer = renderers[group] = emails.EmailBatchRenderer(
                    template=REMINDER_EMAIL_TEMPLATE,
                    category=Category.REMINDERS,
                    context=shared,
                    personal_keys=("done_url", "rest_url"),
                )
            message = renderer.build(
                user=occ.user,
                context={"done_url": context["done_url"], "rest_url": context["rest_url"]},
            )
            # Names the ledger row: support can trace a message, receivers can deduplicate.
            message.extra_headers["X-Kneadful-Reminder"] = str(occ.id)
            outgoing.append((occ, message))
            continue
        skipped.setdefault(reason, []).append(occ.id)
    for reason, ids in skipped.items():
        _occurrence_mark(ids, reason)
    summary.skipped = skipped
    if not outgoing:
        return summary
    own_connection = connection is None
    connection = connection or get_connection()
    claim, held, renewed = now, set(claimed), claimed_clock
    try:
        for index, (occ, message) in enumerate(outgoing):
            if time.monotonic() - renewed > REMINDER_CLAIM_RENEW_SECONDS:
                fresh = max(tz.now(), claim + dt.timedelta(microseconds=1))
                held = _claim_renew(ids=[o.id for o, _ in outgoing[index:]], claim=claim, now=fresh)
                claim, renewed = fresh, time.monotonic()
            if occ.id not in held:  # the sweep gave it to another sender: not ours now
                summary.not_claimed.append(occ.id)
                continue
            outcome = emails.email_send_batch([(occ.user, message)], connection=connection)[0]
            if outcome.status == "sent":
                _occurrence_mark_sent(occurrence_id=occ.id, claim=claim)
                summary.sent.append(occ.id)
            elif outcome.status == "skipped":
                _occurrence_mark(
                    [occ.id], ReminderOccurrence.Status.SKIPPED_NOT_ALLOWED, claim=claim
                )
                skipped.setdefault(ReminderOccurrence.Status.SKIPPED_NOT_ALLOWED, []).append(occ.id)
            elif outcome.status == "transient" and occ.attempts < REMINDER_MAX_ATTEMPTS:
                _occurrence_mark(
                    [occ.id],
                    ReminderOccurrence.Status.QUEUED,
                    claim=claim,
                    last_error=outcome.reason[:500],
                )
                summary.retry.append(occ.id)
            else:
                _occurrence_mark(
                    [occ.id],
                    ReminderOccurrence.Status.FAILED,
                    claim=claim,
                    last_error=outcome.reason[:500],
                )
                summary.failed.append(occ.id)
    finally:
        if own_connection:
            connection.close()
    return summary
