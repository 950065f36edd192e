"""The one place that renders and sends every outgoing Kneadful email.

* ``email_message_build`` renders ``templates/emails/<name>_subject.txt``, ``<name>.txt``
  and ``<name>.html`` inside the shared layout; non-transactional categories get the
  one-click unsubscribe footer and the ``List-Unsubscribe`` / ``List-Unsubscribe-Post``
  headers (RFC 2369, RFC 8058).
* ``EmailBatchRenderer`` renders a template once for many members who share a context.
* ``email_send_batch`` sends many messages over ONE connection of whatever backend is
  configured (SMTP, locmem, file, console, django-anymail) and classifies each result:
  sent, transient (retry later) or permanent (the address is refused for good).

Who may receive what, and the signed links that change it, belong to the app that owns
members' preferences (``accounts.emails``): it hands this module what it needs through
``email_recipient_hooks_set`` in its ``AppConfig.ready()``, so wellness imports no app.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email._policybase import Compat32
from typing import Any, Literal, Protocol
from urllib.parse import quote

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.html import escape

logger = logging.getLogger(__name__)


class Recipient(Protocol):
    """What building and sending read of a member (``accounts.User`` is one).

    A recipient that is not a member (a newsletter subscriber) brings its own footer
    links: an ``email_links(category)`` method returning ``unsubscribe_url``,
    ``preferences_url`` and ``unsubscribe_token`` is used instead of the hooks' links.
    """

    pk: Any
    email: str

    def get_short_name(self) -> str: ...


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


# --- What the app that owns members' preferences provides ----------------------------


@dataclass(frozen=True, slots=True)
class EmailRecipientHooks:
    """What building and sending need from the app that owns members' email preferences.

    Set once with ``email_recipient_hooks_set`` in that app's ``AppConfig.ready()``
    (``AccountsConfig``), so this module imports no app.

    * ``categories``: each non-transactional category -> how it reads in a sentence
      ("Unsubscribe from <the newsletter>"); any other category is a programming error.
    * ``unsubscribe_url(user, category)`` / ``preferences_url(user)``: the footer's
      absolute, signed, login-free links (the first is also the ``List-Unsubscribe`` target).
    * ``unsubscribe_token(user, category)``: the signed token the optional ``mailto:``
      ``List-Unsubscribe`` target carries in its subject.
    * ``address_refused(address, detail)``: an address was refused for good (a 5xx about
      the recipient); it must not be tried again.
    """

    categories: Mapping[str, str]
    unsubscribe_url: Callable[[Any, str], str]
    preferences_url: Callable[[Any], str]
    unsubscribe_token: Callable[[Any, str], str]
    address_refused: Callable[[str, str], None]


_hooks: list[EmailRecipientHooks] = []


def email_recipient_hooks_set(hooks: EmailRecipientHooks) -> None:
    """Install the hooks (the last call wins; ``AccountsConfig.ready()`` makes it)."""
    _hooks[:] = [hooks]


def _recipient_hooks() -> EmailRecipientHooks:
    if not _hooks:
        raise ImproperlyConfigured(
            "Non-transactional email needs EmailRecipientHooks; the accounts app installs "
            "them in AccountsConfig.ready()."
        )
    return _hooks[0]


def _category_value(category: str | None) -> str | None:
    if category is None:
        return None
    known = _recipient_hooks().categories
    if category not in known:
        raise ValueError(f"Unknown email category {category!r}; use one of {list(known)}.")
    return str(category)


def _address_refused(address: str, detail: str) -> None:
    if not _hooks:  # nothing can remember it; say so rather than lose it silently
        logger.error("Permanent failure for %s and no hook to record it: %s", address, detail)
        return
    _hooks[0].address_refused(address, detail)


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
        "category_phrase": _recipient_hooks().categories[category] if category else "",
    }


def _own_links(user: Any, category: str) -> dict[str, str] | None:
    """The links a non-member recipient signs itself (see ``Recipient``), if it does."""
    own = getattr(type(user), "email_links", None)
    return own(user, category) if callable(own) else None


def _links(user: Recipient, category: str | None) -> dict[str, str]:
    """The footer's per-member links; none for transactional mail."""
    if not category:
        return {"unsubscribe_url": "", "preferences_url": ""}
    own = _own_links(user, category)
    if own is not None:
        return {
            "unsubscribe_url": own["unsubscribe_url"],
            "preferences_url": own["preferences_url"],
        }
    hooks = _recipient_hooks()
    return {
        "unsubscribe_url": hooks.unsubscribe_url(user, category),
        "preferences_url": hooks.preferences_url(user),
    }


def _subject_clean(subject: str) -> str:
    subject = " ".join(subject.split())  # no newlines in a header
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX  # the same prefix as allauth's emails
    if not subject.startswith(prefix):
        subject = f"{prefix}{subject}"
    return subject


def _message_assemble(
    *,
    user: Recipient,
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
            own = _own_links(user, category)
            raw = own["unsubscribe_token"] if own else None
            token = quote(raw or _recipient_hooks().unsubscribe_token(user, category), safe="")
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
    *, user: Recipient, template: str, context: dict[str, Any], category: str | None
) -> EmailMultiAlternatives:
    """Render ``emails/<template>_subject.txt``, ``.txt`` and ``.html`` for one member.

    Both alternatives share ``emails/base.txt`` / ``emails/base.html``; the footer and
    headers for non-transactional mail are added here, so no sender can forget them.
    """
    category = _category_value(category)
    ctx: dict[str, Any] = {
        **context,
        **_base_context(user=user, category=category),
        **_links(user, category),
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

    def build(self, *, user: Recipient, context: dict[str, str]) -> EmailMultiAlternatives:
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
        links = _links(user, category)
        unsubscribe = links["unsubscribe_url"]
        values = {"name": user.get_short_name(), **links, **own}
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
    messages: Sequence[tuple[Recipient, EmailMultiAlternatives]], *, connection: Any = None
) -> list[EmailOutcome]:
    """Send every message over one connection; one outcome per message, in order.

    The connection is opened once and closed at the end (unless the caller passed one
    in, which it then owns). A dropped connection is re-opened for the rest of the
    batch; if it cannot be re-opened, the remaining messages are reported transient
    without further attempts. A 5xx refusal of a recipient is reported to the hooks'
    ``address_refused`` (accounts puts the address on its suppression list) and later
    messages of the batch to that address are skipped.
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
                _address_refused(recipient, outcome.reason)
                suppressed_here.add(recipient.lower())
                logger.info("Refused %s after a permanent failure: %s", recipient, outcome)
            outcomes.append(outcome)
    finally:
        if own:
            _safe_close(conn)
    return outcomes
