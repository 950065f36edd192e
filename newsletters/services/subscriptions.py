"""Subscribing, confirming (double opt-in), managing and leaving; members' audience rows."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone as tz

from accounts.models import EmailSuppression
from accounts.selectors import email_preferences_for
from accounts.services import email_category_set
from newsletters.links import BadSubscriberToken, confirm_token_read, confirm_url, manage_url
from newsletters.models import CATEGORIES, Category, Subscriber
from newsletters.services.queueing import task_enqueue
from wellness.emails import TransientEmailError, email_message_build, email_send_batch

logger = logging.getLogger(__name__)


def _category_check(category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"Unknown newsletter category {category!r}; use one of {CATEGORIES}.")
    return str(category)


def address_normalise(address: str) -> str:
    return address.strip().lower()


def _confirm_interval() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "NEWSLETTER_CONFIRM_INTERVAL", 3600))


# --- Sign-up ------------------------------------------------------------------------------


def subscription_request(*, email: str, category: str = Category.NEWSLETTER) -> None:
    """Record a sign-up from the public form; the confirmation goes out from a task.

    The same two statements run whether the address is new, known, confirmed or a
    member's (a lookup, then one upsert), and nothing is sent here, so neither the answer
    nor its timing tells whether the address was known. At most one confirmation per
    address per ``NEWSLETTER_CONFIRM_INTERVAL`` is decided when the task runs.
    """
    category = _category_check(category)
    address = address_normalise(email)
    now = tz.now()
    member_id = (
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address=address)
        .values_list("pk", flat=True)
        .first()
    )
    if member_id is not None:
        row, unique = Subscriber(user_id=member_id), ["user"]
    else:
        row, unique = Subscriber(email=address), ["email"]
    row.requested_at, row.requested_category = now, category
    with transaction.atomic():
        (saved,) = Subscriber.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=unique,
            update_fields=["requested_at", "requested_category", "updated_at"],
        )
        transaction.on_commit(partial(_confirmation_enqueue, saved.pk))


def _confirmation_enqueue(subscriber_id: int) -> None:
    from newsletters.tasks import subscription_confirmation_send_task

    task_enqueue(task=subscription_confirmation_send_task, args=(subscriber_id,))


def subscriber_confirmed(*, subscriber: Subscriber, category: str) -> bool:
    """Whether the subscriber receives ``category`` (a member: their preference)."""
    if subscriber.user_id:
        return bool(email_preferences_for(user=subscriber.user)[category])
    return subscriber.confirmed_at(category) is not None


@dataclass(frozen=True)
class _Address:
    """A bare address as a ``wellness.emails.Recipient`` (the confirmation email)."""

    email: str
    pk: Any = None

    def get_short_name(self) -> str:
        return ""


def subscription_confirmation_send(*, subscriber_id: int, now: dt.datetime | None = None) -> str:
    """Send the double opt-in email for a pending sign-up, at most once an interval.

    Returns what happened: "sent", "nothing" (no pending sign-up), "already" (already
    confirmed), "throttled" (one went out less than an interval ago), "suppressed", or
    the send's outcome. Raises ``TransientEmailError`` (the pending sign-up is kept) so
    the task retries.
    """
    now = now or tz.now()
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=subscriber_id)
            .first()
        )
        if subscriber is None or subscriber.requested_at is None:
            return "nothing"
        category = subscriber.requested_category or Category.NEWSLETTER
        previous = subscriber.confirmation_sent_at
        subscriber.requested_at = None
        result = ""
        if subscriber_confirmed(subscriber=subscriber, category=category):
            result = "already"
        elif previous is not None and now - previous < _confirm_interval():
            result = "throttled"
        elif EmailSuppression.objects.for_address(subscriber.address).exists():
            result = "suppressed"
        else:
            subscriber.confirmation_sent_at = now
        subscriber.save(update_fields=["requested_at", "confirmation_sent_at", "updated_at"])
        if result:
            return result
    message = email_message_build(
        user=_Address(email=subscriber.address),
        template="newsletter_confirm",
        context={
            "confirm_url": confirm_url(subscriber=subscriber, category=category),
            "category_label": Category(category).label,
        },
        category=None,
    )
    (outcome,) = email_send_batch([(_Address(email=subscriber.address), message)])
    if outcome.transient:
        # Put the sign-up back as it was, so the retry (or the sweep) sends it.
        Subscriber.objects.filter(pk=subscriber.pk, confirmation_sent_at=now).update(
            confirmation_sent_at=previous, requested_at=now, updated_at=tz.now()
        )
        raise TransientEmailError(outcome.reason)
    return outcome.status


def subscription_confirmations_pending(*, older_than: dt.datetime, limit: int = 1000) -> list[int]:
    """Sign-ups whose task never ran (the broker was down): the sweep queues them again."""
    return list(
        Subscriber.objects.filter(requested_at__lt=older_than)
        .order_by("requested_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Confirming, managing, leaving ----------------------------------------------------------


@transaction.atomic
def subscription_confirm(*, token: str, now: dt.datetime | None = None) -> Subscriber:
    """The double opt-in link was followed (and its button pressed): start sending.

    A member's row turns their ``EmailPreference`` on (the link reached their address);
    a visitor's row gets ``<category>_confirmed_at``. Raises ``BadSubscriberToken`` for a
    bad or expired link, or one sent to an address the subscriber no longer has.
    """
    data = confirm_token_read(token)
    subscriber = (
        Subscriber.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=data["s"])
        .first()
    )
    if subscriber is None or subscriber.address.lower() != data["e"]:
        raise BadSubscriberToken("no such subscriber at that address")
    subscriber_category_set(subscriber=subscriber, category=data["c"], enabled=True, now=now)
    return subscriber


@transaction.atomic
def subscriber_category_set(
    *, subscriber: Subscriber, category: str, enabled: bool, now: dt.datetime | None = None
) -> Subscriber:
    """Turn one category on or off through a signed link (the address is proven).

    Members: their preference (``accounts``), the one record of their consent.
    """
    category = _category_check(category)
    now = now or tz.now()
    if subscriber.user_id:
        email_category_set(user=subscriber.user, category=category, enabled=enabled)
        return subscriber
    field = f"{category}_confirmed_at"
    current = getattr(subscriber, field)
    if enabled and current is None:
        setattr(subscriber, field, now)
    elif not enabled and current is not None:
        setattr(subscriber, field, None)
        subscriber.unsubscribed_at = now
    else:
        return subscriber
    subscriber.save(update_fields=[field, "unsubscribed_at", "updated_at"])
    return subscriber


def subscriber_unsubscribe(*, subscriber: Subscriber, category: str) -> Subscriber:
    """The one-click link: stop one category. Twice changes nothing."""
    return subscriber_category_set(subscriber=subscriber, category=category, enabled=False)


@transaction.atomic
def subscriber_preferences_update(
    *, subscriber: Subscriber, newsletter: bool, offers: bool
) -> Subscriber:
    """The manage page: every category at once."""
    for category, enabled in (("newsletter", newsletter), ("offers", offers)):
        subscriber_category_set(subscriber=subscriber, category=category, enabled=enabled)
    return subscriber


# --- Members in the audience ---------------------------------------------------------------


def subscribers_sync_members(*, category: str, batch_size: int = 1000) -> int:
    """Give every member who opted in to ``category`` an audience row; returns how many.

    Runs when a campaign starts, before the audience is snapshot. The row carries no
    consent: the member's preference is read again when their message is built.
    """
    category = _category_check(category)
    missing = list(
        get_user_model()
        .objects.filter(
            **{f"email_preference__{category}": True}, newsletter_subscriber__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(missing), batch_size):
        Subscriber.objects.bulk_create(
            [Subscriber(user_id=pk) for pk in missing[start : start + batch_size]],
            ignore_conflicts=True,
        )
    return len(missing)


def manage_link(*, subscriber: Subscriber) -> str:
    return manage_url(subscriber=subscriber)
