"""The delivery ledger of a chunk: claiming rows, marking them, renewing the claim.

One row per (campaign, subscriber); a row is 'sending' only under its chunk's claim
(``claimed_at``), and every change here is conditional on that claim, so a chunk whose rows
the sweep took back can no longer change them (the guarantee is in ``campaigns``' docstring).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone as tz

from newsletters.models import Delivery
from wellness.db import db_call_outliving_disconnect

# After a 250, recording 'sent' survives a database restart this long (reconnecting). Well
# below STALE_SENDING - CLAIM_RENEW_SECONDS (4 min): the chunk's claim still holds when it
# gives up, so no other task can have taken the row meanwhile.
MARK_SENT_PATIENCE_SECONDS = 20.0

DStatus = Delivery.Status


def claim(*, campaign_id: int, after_id: int, last_id: int, now: dt.datetime) -> list[int]:
    """Move the chunk's queued rows to 'sending' for this caller; returns their ids."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                campaign_id=campaign_id,
                subscriber_id__gt=after_id,
                subscriber_id__lte=last_id,
                status=DStatus.QUEUED,
            )
            .order_by("subscriber_id")
            .values_list("pk", flat=True)
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=DStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
            )
    return ids


def mark(ids: Sequence[int], status: str, *, claim: dt.datetime, **fields: Any) -> int:
    if not ids:
        return 0
    return Delivery.objects.filter(
        pk__in=list(ids), status=DStatus.SENDING, claimed_at=claim
    ).update(status=status, updated_at=tz.now(), **fields)


@functools.cache
def _mark_sent_sql() -> tuple[str, str]:
    """The two statements of ``_mark_sent_once``, written once per process."""
    meta = Delivery._meta
    column = {
        name: db_connection.ops.quote_name(meta.get_field(name).column)
        for name in ("id", "status", "sent_at", "updated_at", "claimed_at")
    }
    table = db_connection.ops.quote_name(meta.db_table)
    held = (
        f"UPDATE {table} SET {column['status']} = %s, "  # noqa: S608
        f"{column['sent_at']} = %s, {column['updated_at']} = %s "
        f"WHERE {column['id']} = %s AND {column['status']} = %s "
        f"AND {column['claimed_at']} = %s"
    )
    unfinished = (
        f"UPDATE {table} SET {column['status']} = %s, "  # noqa: S608
        f"{column['sent_at']} = %s, {column['updated_at']} = %s "
        f"WHERE {column['id']} = %s AND {column['status']} IN (%s, %s)"
    )
    return held, unfinished


def mark_sent(delivery_id: int, claim: dt.datetime) -> bool:
    """Record the server's 250 of one row (see ``_mark_sent_once``). The message is
    already accepted: if the database connection dies here (a restart or failover),
    failing the chunk would leave the row 'sending' until the sweep hands it to another
    task, which sends it again; so the statements are repeated on a fresh connection for
    up to ``MARK_SENT_PATIENCE_SECONDS``."""
    return db_call_outliving_disconnect(
        functools.partial(_mark_sent_once, delivery_id, claim),
        patience_seconds=MARK_SENT_PATIENCE_SECONDS,
    )


def _mark_sent_once(delivery_id: int, claim: dt.datetime) -> bool:
    """Right after the server's 250 (the at-most-once window is this one round trip), so
    plain SQL: no ORM query built per message.

    Returns False when the row was no longer held under ``claim`` (the sweep took the
    rows of a worker it thought dead, or another task claimed them). The server accepted
    the message all the same, so the row is still recorded as sent unless it is already
    finished: whoever holds it now must not send it again."""
    held, unfinished = _mark_sent_sql()
    now = tz.now()
    with db_connection.cursor() as cursor:
        cursor.execute(
            held, [DStatus.SENT.value, now, now, delivery_id, DStatus.SENDING.value, claim]
        )
        if cursor.rowcount == 1:
            return True
        cursor.execute(
            unfinished,
            [
                DStatus.SENT.value,
                now,
                now,
                delivery_id,
                DStatus.SENDING.value,
                DStatus.QUEUED.value,
            ],
        )
    return False


def still_held(ids: Sequence[int], claim: dt.datetime) -> set[int]:
    """Which of ``ids`` this task still holds (status 'sending' under its claim)."""
    return set(
        Delivery.objects.filter(
            pk__in=list(ids), status=DStatus.SENDING, claimed_at=claim
        ).values_list("pk", flat=True)
    )


def claim_renew(*, ids: Sequence[int], claim: dt.datetime, now: dt.datetime) -> set[int]:
    with transaction.atomic():
        held = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(ids), status=DStatus.SENDING, claimed_at=claim)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=held).update(claimed_at=now, updated_at=now)
    return set(held)


def hand_back(streak: list[tuple[int, str]], *, claim: dt.datetime, charged: bool) -> None:
    """Rows refused temporarily go back to queued with their reason; ``charged=False``
    (an outage, not their fault) gives back the attempt their claim took."""
    refund: dict[str, Any] = {} if charged else {"attempts": F("attempts") - 1}
    for pk, reason in streak:
        mark([pk], DStatus.QUEUED, claim=claim, error=reason[:500], **refund)
    streak.clear()
