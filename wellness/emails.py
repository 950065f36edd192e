"""The one place that renders and sends every outgoing Kneadful email.

* ``email_recipient_allowed`` decides at send time whether a member may get a message
  of a category (active account, verified primary address, opted in, not suppressed).
* ``email_message_build`` renders ``templates/emails/<name>_subject.txt``, ``<name>.txt``
  and ``<name>.html`` inside the shared layout; non-transactional categories get the
  one-click unsubscribe footer and the ``List-Unsubscribe`` / ``List-Unsubscribe-Post``
  headers (RFC 2369, RFC 8058).
* ``email_send_batch`` sends many messages over ONE connection of whatever backend is
  configured (SMTP, locmem, file, console, django-anymail) and classifies each result:
  sent, transient (retry later) or permanent (the address is now suppressed).
* ``email_send`` is the convenience for one message; it raises ``TransientEmailError``
  so a Celery task can retry it with backoff.

Unsubscribe and preference tokens are signed with ``django.core.signing`` and never
expire: an old email's unsubscribe link must still work years later.
"""

from __future__ import annotations

import functools
import logging
import secrets
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email._policybase import Compat32
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from allauth.account.models import EmailAddress
from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models
from django.template.loader import render_to_string
from django.urls import get_urlconf, reverse
from django.utils.html import escape

from accounts.models import EmailPreference, EmailSuppression
from accounts.services import email_suppress

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "kneadful.unsubscribe"
PREFERENCES_SALT = "kneadful.email-preferences"


class Category(models.TextChoices):
    """Non-transactional categories a member can opt out of (``None`` = transactional)."""

    REMINDERS = "reminders", "Practice reminders"
    NEWSLETTER = "newsletter", "Newsletter"
    OFFERS = "offers", "Offers"


# How a category reads inside a sentence: "Unsubscribe from the newsletter".
CATEGORY_PHRASES = {
    Category.REMINDERS: "practice reminders",
    Category.NEWSLETTER: "the newsletter",
    Category.OFFERS: "offers",
}


class TransientEmailError(Exception):
    """A 4xx SMTP reply, a connection error or a timeout: try again later."""


class PermanentEmailError(Exception):
    """A 5xx reply about the recipient: the address has been suppressed."""


Status = Literal["sent", "transient", "permanent", "skipped"]


@dataclass(frozen=True, slots=True)
class EmailOutcome:
    status: Status
    reason: str = ""

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    @property
    def transient(self) -> bool:
        return self.status == "transient"

    @property
    def permanent(self) -> bool:
        return self.status == "permanent"


SENT = EmailOutcome("sent")


# --- Who may receive what -------------------------------------------------------------


def _category_value(category: str | None) -> str | None:
    if category is None:
        return None
    if category not in Category.values:
        raise ValueError(f"Unknown email category {category!r}; use one of {Category.values}.")
    return str(category)


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
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Lower

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


# --- Tokens -----------------------------------------------------------------------------


class BadEmailToken(Exception):
    """A tampered, truncated or unknown-member token."""


def unsubscribe_token_make(*, user: User, category: str) -> str:
    # No timestamp: the link in an email from years ago must still work (and stays short).
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"u": user.pk, "c": _category_value(category)}
    )


def unsubscribe_token_read(token: str) -> tuple[User, str]:
    """The member and category a token was made for; raises ``BadEmailToken``. Never expires."""
    from django.contrib.auth import get_user_model

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
    from django.contrib.auth import get_user_model

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
def _url_pattern(name: str, urlconf: str | None, with_token: bool = True) -> str:
    """``reverse()`` once per URL name with a placeholder; building a batch of thousands of
    messages then only formats strings (reverse costs ~0.1 ms a call)."""
    if not with_token:
        return reverse(name, urlconf=urlconf)
    return reverse(name, args=["TOKEN"], urlconf=urlconf).replace("TOKEN", "{token}")


def _token_url(name: str, token: str) -> str:
    return absolute_url(_url_pattern(name, get_urlconf()).format(token=token))


def unsubscribe_url(*, user: User, category: str) -> str:
    return _token_url("email:unsubscribe", unsubscribe_token_make(user=user, category=category))


def preferences_url(*, user: User) -> str:
    return _token_url("email:preferences", preferences_token_make(user=user))


# --- Building ---------------------------------------------------------------------------


class _Compat32FastFold(Compat32):
    """Django's policy (``compat32``) with a shortcut for headers that need no folding.

    ``compat32`` runs every header through ``email.header.Header.encode`` (~0.07 ms each,
    about 18 per multipart message). A pure-ASCII one-line value that already fits the
    line length comes out of that unchanged, so it is written as is; everything else
    (non-ASCII, long, multi-line) still takes the stdlib path. The bytes are identical
    (checked against ``compat32`` in tests/wellness/test_emails.py).
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and self.max_line_length is not None
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


FAST_FOLD_POLICY = _Compat32FastFold()


class KneadfulEmail(EmailMultiAlternatives):
    """``EmailMultiAlternatives`` whose MIME tree is cheaper to serialise.

    * the multipart boundary is chosen up front: left unset, the stdlib generator
      compiles a fresh regular expression per message to check its random boundary
      against the text; a 128-bit random boundary is checked with a plain substring test;
    * headers that need no folding skip ``Header.encode`` (``_Compat32FastFold``).

    Backends that read the fields instead of the MIME tree (django-anymail) are unaffected.
    """

    def message(self):  # type: ignore[no-untyped-def]
        msg = super().message()
        msg.policy = FAST_FOLD_POLICY
        if msg.is_multipart() and msg.get_boundary() is None:
            parts = [self.body, *(str(alt[0]) for alt in self.alternatives)]
            while True:
                boundary = f"==============={secrets.token_hex(16)}=="
                if not any(boundary in part for part in parts):
                    break
            msg.set_boundary(boundary)
        return msg


def _base_context(*, user: Any, category: str | None) -> dict[str, Any]:
    return {
        "user": user,
        "site_url": settings.SITE_URL,
        "category": category,
        "category_label": Category(category).label if category else "",
        "category_phrase": CATEGORY_PHRASES[category] if category else "",
        "account_url": absolute_url(
            _url_pattern("accounts:email_preferences", get_urlconf(), False)
        ),
    }


def _subject_clean(subject: str) -> str:
    subject = " ".join(subject.split())  # no newlines in a header
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX  # the same prefix as allauth's emails
    if not subject.startswith(prefix):
        subject = f"{prefix}{subject}"
    return subject


def _message_assemble(
    *,
    user: User,
    template: str,
    category: str | None,
    subject: str,
    text: str,
    html: str,
    unsubscribe: str,
) -> KneadfulEmail:
    # RFC 3834: vacation responders must not answer machine-sent mail.
    headers: dict[str, str] = {"Auto-Submitted": "auto-generated"}
    if category:
        targets = [f"<{unsubscribe}>"]
        mailto = getattr(settings, "EMAIL_UNSUBSCRIBE_MAILTO", "")
        if mailto:
            # The signed token, not a guessable id: whoever reads that mailbox can trust it.
            token = quote(unsubscribe_token_make(user=user, category=category), safe="")
            targets.append(f"<mailto:{mailto}?subject=unsubscribe%20{token}>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["X-Kneadful-Category"] = category
    message = KneadfulEmail(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    # django-anymail reads these (provider tags/metadata); every other backend ignores them.
    # One tag only: several providers (Postmark) accept no more.
    message.tags = [category or "transactional"]  # type: ignore[attr-defined]
    message.metadata = {"user_id": str(user.pk), "template": template}  # type: ignore[attr-defined]
    return message


def email_message_build(
    *, user: User, template: str, context: dict[str, Any], category: str | None
) -> EmailMultiAlternatives:
    """Render ``emails/<template>_subject.txt``, ``.txt`` and ``.html`` for one member.

    Both alternatives share ``emails/base.txt`` / ``emails/base.html``; the footer and
    headers for non-transactional mail are added here, so no sender can forget them.
    """
    category = _category_value(category)
    ctx: dict[str, Any] = {
        **context,
        **_base_context(user=user, category=category),
        "unsubscribe_url": unsubscribe_url(user=user, category=category) if category else "",
        "preferences_url": preferences_url(user=user) if category else "",
    }
    subject = _subject_clean(render_to_string(f"emails/{template}_subject.txt", ctx))
    ctx["subject"] = subject
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    return _message_assemble(
        user=user,
        template=template,
        category=category,
        subject=subject,
        text=text,
        html=html,
        unsubscribe=ctx["unsubscribe_url"],
    )


# Placeholders for per-recipient values in a template rendered once for many recipients.
# ESC never comes out of our templates, and HTML escaping leaves these characters alone.
_MARK = "\x1bkneadful:"


def _placeholder(key: str) -> str:
    return f"{_MARK}{key}\x1b"


class _PlaceholderUser:
    """Stands in for the member while a shared template is rendered: the short name is
    a placeholder; any other attribute renders as a marker that makes the batch builder
    fall back to rendering that template per member (so nothing is silently blank)."""

    def get_short_name(self) -> str:
        return _placeholder("name")

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return _placeholder(f"unsupported.{name}")


class EmailBatchRenderer:
    """Render a template once for many members who share a context; per member, only
    their own values (short name, signed links) are substituted.

    The output is the same text, HTML and headers ``email_message_build`` produces for
    each member (tests compare them, including HTML escaping of hostile display names):
    per-member values go into the HTML escaped and into the text as they are. Templates
    may only use per-member values as plain ``{{ variable }}`` (no filters) and, of the
    member, only ``user.get_short_name``; anything else is detected (a placeholder left
    over) and that message is rendered the ordinary way instead.

    Rendering the layout and three templates is about a quarter of a reminder's build
    cost; a chunk of 100 reminders typically needs a handful of distinct shared contexts.
    """

    def __init__(
        self,
        *,
        template: str,
        category: str | None,
        context: dict[str, Any],
        personal_keys: Sequence[str],
    ) -> None:
        self.template = template
        self.category = _category_value(category)
        self.context = context
        keys = ["unsubscribe_url", "preferences_url", *personal_keys]
        ctx: dict[str, Any] = {
            **context,
            **_base_context(user=_PlaceholderUser(), category=self.category),
            **{key: _placeholder(key) for key in keys},
        }
        if not self.category:
            ctx["unsubscribe_url"] = ctx["preferences_url"] = ""
        self.personal_keys = keys
        self._subject = render_to_string(f"emails/{template}_subject.txt", ctx)
        ctx["subject"] = _placeholder("subject")
        self._text = render_to_string(f"emails/{template}.txt", ctx)
        self._html = render_to_string(f"emails/{template}.html", ctx)

    @staticmethod
    def _fill(rendered: str, values: dict[str, str], *, html: bool) -> str:
        for key, value in values.items():
            token = _placeholder(key)
            if token in rendered:
                rendered = rendered.replace(token, escape(value) if html else value)
        return rendered

    def build(self, *, user: User, context: dict[str, str]) -> EmailMultiAlternatives:
        """The message for ``user``; ``context`` holds this member's own string values."""
        category = self.category
        own = {key: str(context[key]) for key in self.personal_keys[2:]}
        if "\x1b" in user.get_short_name() or any("\x1b" in value for value in own.values()):
            # A value that could pose as a placeholder: no substitution tricks for it.
            return email_message_build(
                user=user,
                template=self.template,
                context={**self.context, **context},
                category=category,
            )
        unsubscribe = unsubscribe_url(user=user, category=category) if category else ""
        values = {
            "name": user.get_short_name(),
            "unsubscribe_url": unsubscribe,
            "preferences_url": preferences_url(user=user) if category else "",
            **own,
        }
        subject = _subject_clean(self._fill(self._subject, values, html=False))
        values["subject"] = subject
        text = self._fill(self._text, values, html=False)
        html = self._fill(self._html, values, html=True)
        if _MARK in subject or _MARK in text or _MARK in html:
            logger.warning(
                "emails/%s uses a per-member value the batch renderer cannot substitute; "
                "rendering it per message",
                self.template,
            )
            return email_message_build(
                user=user,
                template=self.template,
                context={**self.context, **context},
                category=category,
            )
        return _message_assemble(
            user=user,
            template=self.template,
            category=category,
            subject=subject,
            text=text,
            html=html,
            unsubscribe=unsubscribe,
        )


# --- Sending ----------------------------------------------------------------------------


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _classify_code(code: int, detail: str) -> EmailOutcome:
    if 500 <= code < 600:
        return EmailOutcome("permanent", f"{code} {detail}".strip())
    return EmailOutcome("transient", f"{code} {detail}".strip())


def _classify(exc: BaseException, recipient: str) -> tuple[EmailOutcome, bool]:
    """An exception from ``send_messages`` -> (outcome, connection must be re-opened).

    A permanent outcome means the *recipient* was refused; 5xx replies about our own
    sender, login or greeting are configuration problems, retried (and logged) instead
    of punishing the member's address.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = {addr.lower(): reply for addr, reply in exc.recipients.items()}
        code, text = refused.get(recipient.lower(), next(iter(refused.values()), (451, b"")))
        return _classify_code(code, _decode(text)), False
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return EmailOutcome("transient", f"disconnected: {exc}"), True
    if isinstance(
        exc, smtplib.SMTPSenderRefused | smtplib.SMTPHeloError | smtplib.SMTPAuthenticationError
    ):
        logger.error("SMTP server refused our sender or login: %s", exc)
        reopen = exc.smtp_code == 421
        return EmailOutcome("transient", f"{exc.smtp_code} {_decode(exc.smtp_error)}"), reopen
    if isinstance(exc, smtplib.SMTPResponseException):  # SMTPDataError and friends
        outcome = _classify_code(exc.smtp_code, _decode(exc.smtp_error))
        return outcome, exc.smtp_code == 421  # 421: the server is closing the channel
    if isinstance(exc, smtplib.SMTPException):
        return EmailOutcome("transient", f"smtp: {exc}"), True
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress):
        return EmailOutcome("permanent", f"provider refused the recipient: {exc}"), False
    if isinstance(exc, AnymailAPIError):
        # 5xx, 429 and network failures are worth retrying; a 4xx is most likely our own
        # request or configuration: retried too (bounded by the task's max_retries) and logged.
        status = getattr(exc, "status_code", None)
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            logger.error("Email provider rejected the request (%s): %s", status, exc)
        return EmailOutcome("transient", f"provider API error {status}: {exc}"), False
    if isinstance(exc, OSError):  # refused connection, reset, socket.timeout, TLS errors
        return EmailOutcome("transient", f"connection: {exc}"), True
    # Anything else is a bug or a misconfiguration. Never raise out of a batch: the
    # outcomes of the messages already sent must reach the caller, or they would be
    # sent again. Logged with its traceback; retried like a transient failure.
    logger.error("Unexpected error sending to %s", recipient, exc_info=exc)
    return EmailOutcome("transient", f"unexpected {type(exc).__name__}: {exc}"), True


def _anymail_rejected(message: EmailMultiAlternatives, recipient: str) -> str | None:
    """With ``ANYMAIL_IGNORE_RECIPIENT_STATUS`` a refused recipient does not raise: look."""
    status = getattr(message, "anymail_status", None)
    recipients = getattr(status, "recipients", None) or {}
    entry = recipients.get(recipient) or recipients.get(recipient.lower())
    if entry is not None and entry.status in {"rejected", "invalid"}:
        return entry.status
    return None


def _safe_close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # the channel is already broken; we only want it forgotten
        logger.debug("closing a broken email connection failed", exc_info=True)
        if hasattr(connection, "connection"):
            connection.connection = None


def email_send_batch(
    messages: Sequence[tuple[User, EmailMultiAlternatives]], *, connection: Any = None
) -> list[EmailOutcome]:
    """Send every message over one connection; one outcome per message, in order.

    The connection is opened once and closed at the end (unless the caller passed one
    in, which it then owns). A dropped connection is re-opened for the rest of the
    batch; if it cannot be re-opened, the remaining messages are reported transient
    without further attempts. 5xx refusals of a recipient suppress that address.
    """
    if not messages:
        return []
    own = connection is None
    conn = connection or get_connection(fail_silently=False)
    outcomes: list[EmailOutcome] = []
    suppressed_here: set[str] = set()
    needs_open = True
    try:
        for index, (_user, message) in enumerate(messages):
            recipient = message.to[0] if message.to else ""
            if recipient.lower() in suppressed_here:
                outcomes.append(EmailOutcome("skipped", "address suppressed earlier in batch"))
                continue
            if needs_open:
                try:
                    conn.open()
                except OSError as exc:
                    reason = f"connection: {exc}"
                    logger.warning("Email connection failed, %d left: %s", len(messages), reason)
                    outcomes.extend(EmailOutcome("transient", reason) for _ in messages[index:])
                    return outcomes
                needs_open = False
            try:
                sent = conn.send_messages([message])
            except Exception as exc:
                outcome, reopen = _classify(exc, recipient)
                if reopen:
                    _safe_close(conn)
                    needs_open = True
            else:
                rejected = _anymail_rejected(message, recipient)
                if rejected:
                    outcome = EmailOutcome("permanent", f"provider status: {rejected}")
                elif sent or sent is None:  # some third-party backends return None
                    outcome = SENT
                else:
                    outcome = EmailOutcome("transient", "backend reported nothing sent")
            if outcome.permanent and recipient:
                email_suppress(
                    address=recipient,
                    reason=EmailSuppression.Reason.HARD_BOUNCE,
                    detail=outcome.reason,
                )
                suppressed_here.add(recipient.lower())
                logger.info("Suppressed %s after a permanent failure: %s", recipient, outcome)
            outcomes.append(outcome)
    finally:
        if own:
            _safe_close(conn)
    return outcomes


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
        from django.contrib.auth import get_user_model

        from accounts.services import email_unsubscribe

        user = get_user_model().objects.filter(email__iexact=recipient).first()
        if user is None:
            return "ignored"
        categories = [tag for tag in tags if tag in Category.values] or list(Category.values)
        for category in categories:
            email_unsubscribe(user=user, category=category)
        return "unsubscribed"
    return "ignored"


def anymail_tracking_received(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """Receiver for ``anymail.signals.tracking`` (connected in WellnessConfig.ready)."""
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
