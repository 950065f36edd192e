"""Building messages: templates inside the shared layout, the unsubscribe footer and
headers, and the batch renderer that renders shared parts once per group."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from wellness.emails.message import (
    PLACEHOLDER_MARK,
    BatchPrototype,
    KneadfulEmail,
    placeholder,
    placeholders_fill,
)
from wellness.emails.outcomes import Recipient, category_value, recipient_hooks

logger = logging.getLogger(__name__)

# --- Building ---------------------------------------------------------------------------


def _base_context(*, user: Any, category: str | None) -> dict[str, Any]:
    return {
        "user": user,
        "site_url": settings.SITE_URL,
        "category": category,
        "category_phrase": recipient_hooks().categories[category] if category else "",
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
    hooks = recipient_hooks()
    return {
        "unsubscribe_url": hooks.unsubscribe_url(user, category),
        "preferences_url": hooks.preferences_url(user),
    }


def _template_base(template: str) -> str:
    """``notice`` -> ``emails/notice``; a name with a slash is the app's own path
    (``reminders/email/reminder``), so an app keeps its emails with its templates."""
    return template if "/" in template else f"emails/{template}"


# The longest subject a message gets, prefix included: whatever a template puts in it (an
# editor's headline, a title and a name), the header stays bounded; the cut is marked "…".
SUBJECT_MAX_CHARS = 240


def _subject_clean(subject: str) -> str:
    subject = " ".join(subject.split())  # no newlines in a header
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX  # the same prefix as allauth's emails
    if not subject.startswith(prefix):
        subject = f"{prefix}{subject}"
    if len(subject) > SUBJECT_MAX_CHARS:
        subject = subject[: SUBJECT_MAX_CHARS - 1].rstrip() + "…"
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
            token = quote(raw or recipient_hooks().unsubscribe_token(user, category), safe="")
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
    """Render ``emails/<template>_subject.txt``, ``.txt`` and ``.html`` for one member
    (``<template>_subject.txt`` ... when the name has a slash: an app's own path).

    Both alternatives share ``emails/base.txt`` / ``emails/base.html``; the footer and
    headers for non-transactional mail are added here, so no sender can forget them.
    """
    category = category_value(category)
    ctx: dict[str, Any] = {
        **context,
        **_base_context(user=user, category=category),
        **_links(user, category),
    }
    subject = _subject_clean(render_to_string(f"{_template_base(template)}_subject.txt", ctx))
    ctx["subject"] = subject
    text = render_to_string(f"{_template_base(template)}.txt", ctx)
    html = render_to_string(f"{_template_base(template)}.html", ctx)
    return _message_assemble(
        user=user,
        template=template,
        category=category,
        subject=subject,
        text=text,
        html=html,
        unsubscribe=ctx["unsubscribe_url"],
    )


class _PlaceholderUser:
    """Stands in for the member while a shared template is rendered: the short name is
    a placeholder; any other attribute renders as a marker that makes the batch builder
    fall back to rendering that template per member (so nothing is silently blank)."""

    def get_short_name(self) -> str:
        return placeholder("name")

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return placeholder(f"unsupported.{name}")


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
    From the second member on, the MIME serialisation is shared too (``BatchPrototype``): a
    member's message is the batch's bytes with their values and headers put in.
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
        self.category = category_value(category)
        self.context = context
        keys = ["unsubscribe_url", "preferences_url", *personal_keys]
        ctx: dict[str, Any] = {
            **context,
            **_base_context(user=_PlaceholderUser(), category=self.category),
            **{key: placeholder(key) for key in keys},
        }
        if not self.category:
            ctx["unsubscribe_url"] = ctx["preferences_url"] = ""
        self.personal_keys = keys
        self._builds = 0
        self._prototype: BatchPrototype | None = None
        self._subject = render_to_string(f"{_template_base(template)}_subject.txt", ctx)
        ctx["subject"] = placeholder("subject")
        self._text = render_to_string(f"{_template_base(template)}.txt", ctx)
        self._html = render_to_string(f"{_template_base(template)}.html", ctx)

    _fill = staticmethod(placeholders_fill)

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
        if PLACEHOLDER_MARK in subject or PLACEHOLDER_MARK in text or PLACEHOLDER_MARK in html:
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
        message = _message_assemble(
            user=user,
            template=self.template,
            category=category,
            subject=subject,
            text=text,
            html=html,
            unsubscribe=unsubscribe,
        )
        self._builds += 1
        if self._prototype is None and self._builds >= 2:
            # From the second member on: one message alone is not worth a prototype.
            self._prototype = BatchPrototype(
                keys=["name", "subject", *self.personal_keys], text=self._text, html=self._html
            )
        if self._prototype is not None and self._prototype.ok:
            message._batch = (self._prototype, values, text, html)
        return message
