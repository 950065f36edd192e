"""Sending: many messages over one connection of whatever backend is configured, each
classified as sent, transient (retry later) or permanent (the address is suppressed)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.core.mail import EmailMultiAlternatives, get_connection

from wellness.emails.outcomes import SENT, EmailOutcome, Recipient, address_refused

logger = logging.getLogger(__name__)

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


def email_connection_close(connection: Any) -> None:
    """Close a backend connection that may already be broken, without raising."""
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
                    email_connection_close(conn)
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
                address_refused(recipient, outcome.reason)
                suppressed_here.add(recipient.lower())
                logger.info("Refused %s after a permanent failure: %s", recipient, outcome)
            outcomes.append(outcome)
    finally:
        if own:
            email_connection_close(conn)
    return outcomes
