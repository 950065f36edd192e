"""Signed, login-free links for newsletter subscribers (``django.core.signing``).

* confirm: the double opt-in link; it names the subscriber, the category and the address
  it was sent to, and expires after ``NEWSLETTER_CONFIRM_MAX_AGE`` seconds;
* manage and unsubscribe: never expire (an old email's link must keep working), like the
  members' links in ``accounts.emails``. Each purpose has its own salt.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.urls import get_urlconf, reverse
from django.utils.encoding import force_bytes

if TYPE_CHECKING:
    from newsletters.models import Subscriber

CONFIRM_SALT = "kneadful.newsletter.confirm"
MANAGE_SALT = "kneadful.newsletter.manage"
UNSUBSCRIBE_SALT = "kneadful.newsletter.unsubscribe"


class BadSubscriberToken(Exception):
    """A tampered, truncated, expired or unknown token."""


@functools.lru_cache(maxsize=16)
def _url_pattern(name: str, urlconf: str | None) -> str:
    # reverse() once per name: a chunk of a campaign then only formats strings.
    return reverse(name, args=["TOKEN"], urlconf=urlconf).replace("TOKEN", "{token}")


def _url(name: str, token: str, urlconf: str | None = None) -> str:
    return settings.SITE_URL + _url_pattern(name, urlconf or get_urlconf()).format(token=token)


class _Signer(signing.Signer):
    """``django.core.signing.Signer`` that derives its HMAC key once instead of per token.

    ``Signer.signature`` hashes salt + secret into the HMAC key on every call; here that
    keyed HMAC is made once and copied per value. The tokens are byte for byte Django's
    (tests check), and reading them is Django's own ``unsign`` (with fallback keys).
    """

    def __init__(self, *, salt: str) -> None:
        super().__init__(salt=salt)
        hasher = getattr(hashlib, self.algorithm)
        key = hasher(force_bytes(self.salt + "signer") + force_bytes(self.key)).digest()
        self._mac = hmac.new(key, digestmod=hasher)

    def signature(self, value: str | bytes, key: Any = None) -> str:
        if key is not None and key != self.key:  # a fallback key, while unsigning
            return super().signature(value, key)
        mac = self._mac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


@functools.lru_cache(maxsize=8)
def _cached_signer(salt: str, secret: Any, fallbacks: tuple[Any, ...]) -> _Signer:
    return _Signer(salt=salt)


def _signer(salt: str) -> _Signer:
    # Keyed by the secrets too: a changed SECRET_KEY (rotation, tests) gets a new signer.
    secret = settings.SECRET_KEY
    return _cached_signer(salt, secret, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def confirm_token_make(*, subscriber: Subscriber, category: str) -> str:
    return signing.dumps(
        {"s": subscriber.pk, "c": category, "e": subscriber.address.lower()}, salt=CONFIRM_SALT
    )


def confirm_token_read(token: str) -> dict[str, Any]:
    max_age = getattr(settings, "NEWSLETTER_CONFIRM_MAX_AGE", 7 * 24 * 3600)
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
        return {"s": int(data["s"]), "c": str(data["c"]), "e": str(data["e"])}
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadSubscriberToken(str(exc)) from None


def manage_token_make(*, subscriber: Subscriber) -> str:
    return _signer(MANAGE_SALT).sign_object({"s": subscriber.pk})


def manage_token_read(token: str) -> int:
    try:
        return int(_signer(MANAGE_SALT).unsign_object(token)["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadSubscriberToken(str(exc)) from None


def unsubscribe_token_make(*, subscriber: Subscriber, category: str) -> str:
    return _signer(UNSUBSCRIBE_SALT).sign_object({"s": subscriber.pk, "c": category})


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    try:
        data = _signer(UNSUBSCRIBE_SALT).unsign_object(token)
        return int(data["s"]), str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadSubscriberToken(str(exc)) from None


def confirm_url(*, subscriber: Subscriber, category: str) -> str:
    return _url("newsletters:confirm", confirm_token_make(subscriber=subscriber, category=category))


def manage_url(*, subscriber: Subscriber) -> str:
    return _url("newsletters:manage", manage_token_make(subscriber=subscriber))


def subscriber_email_links(*, subscriber: Subscriber, category: str) -> dict[str, str]:
    """The footer links of a visitor's campaign email (``wellness.emails.Recipient``)."""
    token = unsubscribe_token_make(subscriber=subscriber, category=category)
    urlconf = get_urlconf()  # a thread-local look-up: once, not per link
    return {
        "unsubscribe_url": _url("newsletters:unsubscribe", token, urlconf),
        "preferences_url": _url(
            "newsletters:manage", manage_token_make(subscriber=subscriber), urlconf
        ),
        "unsubscribe_token": token,
    }
