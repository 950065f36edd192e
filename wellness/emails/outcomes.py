"""What an email is for and how sending it went: recipients, categories, outcomes, and the
hooks the app that owns members' preferences installs (``accounts.emails``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from django.core.exceptions import ImproperlyConfigured

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


def recipient_hooks() -> EmailRecipientHooks:
    if not _hooks:
        raise ImproperlyConfigured(
            "Non-transactional email needs EmailRecipientHooks; the accounts app installs "
            "them in AccountsConfig.ready()."
        )
    return _hooks[0]


def category_value(category: str | None) -> str | None:
    if category is None:
        return None
    known = recipient_hooks().categories
    if category not in known:
        raise ValueError(f"Unknown email category {category!r}; use one of {list(known)}.")
    return str(category)


def address_refused(address: str, detail: str) -> None:
    if not _hooks:  # nothing can remember it; say so rather than lose it silently
        logger.error("Permanent failure for %s and no hook to record it: %s", address, detail)
        return
    _hooks[0].address_refused(address, detail)
