"""The one place that renders and sends every outgoing Kneadful email.

* ``email_message_build`` renders ``templates/emails/<name>_subject.txt``, ``<name>.txt``
  and ``<name>.html`` (or an app's own ``<app>/.../<name>*``) inside the shared layout;
  non-transactional categories get the one-click unsubscribe footer and the
  ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 2369, RFC 8058).
* ``EmailBatchRenderer`` renders a template once for many members who share a context.
* ``email_send_batch`` sends many messages over ONE connection of whatever backend is
  configured (SMTP, locmem, file, console, django-anymail) and classifies each result:
  sent, transient (retry later) or permanent (the address is refused for good).

Who may receive what, and the signed links that change it, belong to the app that owns
members' preferences (``accounts.emails``): it hands this module what it needs through
``email_recipient_hooks_set`` in its ``AppConfig.ready()``, so wellness imports no app.
"""

from wellness.emails.build import EmailBatchRenderer, email_message_build
from wellness.emails.message import KneadfulEmail
from wellness.emails.outcomes import (
    SENT,
    EmailOutcome,
    EmailRecipientHooks,
    PermanentEmailError,
    Recipient,
    TransientEmailError,
    email_recipient_hooks_set,
)
from wellness.emails.send import email_connection_close, email_send_batch

__all__ = [
    "SENT",
    "EmailBatchRenderer",
    "EmailOutcome",
    "EmailRecipientHooks",
    "KneadfulEmail",
    "PermanentEmailError",
    "Recipient",
    "TransientEmailError",
    "email_connection_close",
    "email_message_build",
    "email_recipient_hooks_set",
    "email_send_batch",
]
