"""Who may receive which email, and the signed links that let a member change it.

accounts owns what a member agreed to receive; ``wellness.emails`` only builds and sends.

* ``email_recipient_allowed`` / ``email_allowed_user_ids`` decide at send time whether a
  member may get a message of a category (active account, verified primary address,
  opted in, not suppressed).
* Unsubscribe and preference tokens are signed with ``django.core.signing`` and never
  expire: an old email's unsubscribe link must still work years later.
* ``email_send`` is the member-level convenience for one message: the rules, then
  ``wellness.emails`` builds and sends it; it raises ``TransientEmailError`` so a Celery
  task (``accounts.tasks.email_send_task``) can retry it with backoff.
* ``email_provider_event_record`` acts on a provider's delivery events (bounces and
  complaints feed the suppression list); ``anymail_tracking_received`` is its receiver,
  connected in ``AccountsConfig.ready()``.
* ``email_hooks_install`` (``AccountsConfig.ready()``) hands ``wellness.emails`` the
  categories, the links and the suppression of refused addresses.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.urls import get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import EmailPreference, EmailSuppression
from wellness.emails import (
    EmailOutcome,
    EmailRecipientHooks,
    TransientEmailError,
    email_message_build,
    email_recipient_hooks_set,
    email_send_batch,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "kneadful.unsubscribe"
PREFERENCES_SALT = "kneadful.email-preferences"


class Category(models.TextChoices):
    """Non-transactional categories a member can opt out of (``None`` = transactional)."""

    REMINDERS = "reminders", _("Practice reminders")
    NEWSLETTER = "newsletter", _("Newsletter")
    OFFERS = "offers", _("Offers")


# How a category reads inside a sentence: "Unsubscribe from the newsletter".
CATEGORY_PHRASES = {
    Category.REMINDERS: _("practice reminders"),
    Category.NEWSLETTER: _("the newsletter"),
    Category.OFFERS: _("offers"),
}


def _category_value(category: str | None) -> str | None:
    if category is None:
        return None
    if category not in Category.values:
        raise ValueError(f"Unknown email category {category!r}; use one of {Category.values}.")
    return str(category)


# --- Who may receive what -------------------------------------------------------------


def email_recipient_allowed(*, user: User, category: str | None) -> bool:
    """May ``user`` get a message of ``category`` now? (``None`` = transactional.)

    Active account, the account's address verified and primary in allauth, opted in to
    the category (absent preference row = defaults), and the address not suppressed.
    """
    category = _category_value(category)
    if not user.is_active or not user.email:
        return False
    if not EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True, primary=True
    ).exists():
        return False
    if EmailSuppression.objects.for_address(user.email).exists():
        return False
    if category is None:
        return True
    preference = EmailPreference.objects.filter(user=user).first()
    if preference is None:
        return EmailPreference.DEFAULTS[category]
    return preference.allows(category)


def email_allowed_user_ids(*, user_ids: Iterable[int], category: str | None) -> set[int]:
    """The subset of ``user_ids`` that ``email_recipient_allowed`` would accept, in 3 queries.

    For bulk senders (reminder batches, newsletters): same rules, no per-member queries.
    """
    category = _category_value(category)
    ids = list(user_ids)
    if not ids:
        return set()
    users = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .annotate(
            verified=Exists(
                EmailAddress.objects.filter(
                    user=OuterRef("pk"),
                    email__iexact=OuterRef("email"),
                    verified=True,
                    primary=True,
                )
            ),
            suppressed=Exists(
                EmailSuppression.objects.annotate(lower=Lower("address")).filter(
                    lower=Lower(OuterRef("email"))
                )
            ),
        )
        .filter(verified=True, suppressed=False)
    )
    allowed = set(users.values_list("pk", flat=True))
    if category is None or not allowed:
        return allowed
    saved = dict(
        EmailPreference.objects.filter(user_id__in=allowed).values_list("user_id", category)
    )
    default = EmailPreference.DEFAULTS[category]
    return {pk for pk in allowed if saved.get(pk, default)}


# --- Tokens and links -------------------------------------------------------------------


class BadEmailToken(Exception):
    """A tampered, truncated or unknown-member token."""


def unsubscribe_token_make(*, user: User, category: str) -> str:
    # No timestamp: the link in an email from years ago must still work (and stays short).
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"u": user.pk, "c": _category_value(category)}
    )


def unsubscribe_token_read(token: str) -> tuple[User, str]:
    """The member and category a token was made for; raises ``BadEmailToken``. Never expires."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        pk, category = data["u"], data["c"]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadEmailToken(str(exc)) from None
    if category not in Category.values:
        raise BadEmailToken("unknown category")
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        raise BadEmailToken("no such member")
    return user, category


def preferences_token_make(*, user: User) -> str:
    return signing.Signer(salt=PREFERENCES_SALT).sign_object({"u": user.pk})


def preferences_token_read(token: str) -> User:
    try:
        pk = signing.Signer(salt=PREFERENCES_SALT).unsign_object(token)["u"]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadEmailToken(str(exc)) from None
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        raise BadEmailToken("no such member")
    return user


def absolute_url(path: str) -> str:
    """``SITE_URL`` + path: links in emails must work outside any request."""
    return f"{settings.SITE_URL}{path}"


@functools.lru_cache(maxsize=16)
def _url_pattern(name: str, urlconf: str | None) -> str:
    """``reverse()`` once per URL name with a placeholder; building a batch of thousands of
    messages then only formats strings (reverse costs ~0.1 ms a call)."""
    return reverse(name, args=["TOKEN"], urlconf=urlconf).replace("TOKEN", "{token}")


def _token_url(name: str, token: str) -> str:
    return absolute_url(_url_pattern(name, get_urlconf()).format(token=token))


def unsubscribe_url(*, user: User, category: str) -> str:
    return _token_url("email:unsubscribe", unsubscribe_token_make(user=user, category=category))


def preferences_url(*, user: User) -> str:
    return _token_url("email:preferences", preferences_token_make(user=user))


# --- Sending to a member ------------------------------------------------------------------


def email_send(
    *, user: User, template: str, context: dict[str, Any], category: str | None
) -> EmailOutcome:
    """Check, build and send one message. Raises ``TransientEmailError`` to be retried."""
    if not email_recipient_allowed(user=user, category=category):
        return EmailOutcome("skipped", "recipient not allowed")
    message = email_message_build(user=user, template=template, context=context, category=category)
    (outcome,) = email_send_batch([(user, message)])
    if outcome.transient:
        raise TransientEmailError(outcome.reason)
    return outcome


def _address_refused(address: str, detail: str) -> None:
    """A 5xx about the recipient while sending: never try that address again."""
    from accounts.services.emails import email_suppress

    email_suppress(address=address, reason=EmailSuppression.Reason.HARD_BOUNCE, detail=detail)


def email_hooks_install() -> None:
    """Give ``wellness.emails`` what it needs of accounts (``AccountsConfig.ready()``)."""
    email_recipient_hooks_set(
        EmailRecipientHooks(
            categories=CATEGORY_PHRASES,
            unsubscribe_url=lambda user, category: unsubscribe_url(user=user, category=category),
            preferences_url=lambda user: preferences_url(user=user),
            unsubscribe_token=lambda user, category: unsubscribe_token_make(
                user=user, category=category
            ),
            address_refused=_address_refused,
        )
    )


# --- Provider events (django-anymail tracking webhooks) ---------------------------------

SOFT_BOUNCE_TYPES = {"SoftBounce", "Transient", "DnsError", "soft", "soft_bounce"}


def email_provider_event_record(
    *,
    event_type: str,
    recipient: str,
    reject_reason: str | None = None,
    mta_response: str | None = None,
    tags: Sequence[str] = (),
    detail: str = "",
    soft: bool = False,
) -> str:
    """Act on one delivery event reported by the email provider; returns what was done.

    bounced (hard) / rejected as invalid or bounced -> suppress (hard_bounce);
    complained -> suppress (complaint); unsubscribed (the provider's own list-unsubscribe
    handling) -> unsubscribe from the category in the message's tag, or from every
    category if the tag is missing. Everything else (delivered, opened, deferred...) is
    ignored: Kneadful keeps no tracking data.
    """
    from accounts.services.emails import email_suppress, email_unsubscribe

    if not recipient:
        return "ignored"
    looks_soft = soft or (mta_response or "").strip()[:1] == "4"
    if event_type == "bounced" and not looks_soft:
        email_suppress(address=recipient, reason=EmailSuppression.Reason.HARD_BOUNCE, detail=detail)
        return "suppressed"
    if event_type == "rejected" and reject_reason in {"invalid", "bounced"}:
        email_suppress(address=recipient, reason=EmailSuppression.Reason.HARD_BOUNCE, detail=detail)
        return "suppressed"
    if event_type == "complained":
        email_suppress(address=recipient, reason=EmailSuppression.Reason.COMPLAINT, detail=detail)
        return "suppressed"
    if event_type == "unsubscribed":
        user = get_user_model().objects.filter(email__iexact=recipient).first()
        if user is None:
            return "ignored"
        categories = [tag for tag in tags if tag in Category.values] or list(Category.values)
        for category in categories:
            email_unsubscribe(user=user, category=category)
        return "unsubscribed"
    return "ignored"


def anymail_tracking_received(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """Receiver for ``anymail.signals.tracking`` (connected in AccountsConfig.ready)."""
    raw = event.esp_event if isinstance(getattr(event, "esp_event", None), dict) else {}
    soft = str(raw.get("Type", "")) in SOFT_BOUNCE_TYPES
    detail = " ".join(
        part for part in [esp_name, event.description or "", event.mta_response or ""] if part
    )
    outcome = email_provider_event_record(
        event_type=event.event_type,
        recipient=event.recipient or "",
        reject_reason=event.reject_reason,
        mta_response=event.mta_response,
        tags=list(event.tags or []),
        detail=detail[:2000],
        soft=soft,
    )
    if outcome != "ignored":
        logger.info("%s %s event for %s: %s", esp_name, event.event_type, event.recipient, outcome)
