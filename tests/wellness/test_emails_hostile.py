"""Every email the product sends, through the product's own code path, with hostile member
input in every member-controlled field that reaches it.

``EMAILS`` is the registry: one entry per email (allauth's account emails, reminders,
campaigns, the offer and series announcements, the newsletter confirmation, the one-member
notice), each triggered the way the product triggers it (a page, a service, a task, allauth's
adapter) with a hostile value in each field it shows. For every entry and every hostile
value the HTML part must show the value as text (escaped, no ``<script>``, no ``on*=``
attribute), isolated for right-to-left text (``dir="auto"``) inside a block that wraps long
words; the text part must show it as typed (no entities, no tags); the subject must be one
bounded header line. ``test_every_email_template_is_in_the_registry`` fails when an email
template appears under templates/ that no entry renders.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from allauth.account.adapter import HTTP_USER_AGENT_MAX_LENGTH, get_adapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory, override_settings
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from accounts.services import email_category_set
from accounts.tasks import email_send_task
from newsletters.models import Campaign
from newsletters.services import campaign_create, campaign_send, campaign_test_send
from offers.services import offer_announce
from reminders.services import reminder_dispatch_cycle
from routines.models import Series
from routines.services import series_publish
from tests.factories import (
    EditorFactory,
    OfferFactory,
    RoutineFactory,
    SeriesFactory,
    SubscriberFactory,
    UserFactory,
)
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SUBJECT_MAX = 255  # characters, a test copy's "[Test] " included

# --- Hostile values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """One hostile value for text fields, and an email address in the same spirit (``None``
    where no valid address can carry it: Django's validator allows ASCII local parts only)."""

    id: str
    text: str
    address: str | None

    def fit(self, limit: int) -> str:
        """The value, cut to a field's ``max_length`` (no member field takes 300 characters)."""
        return self.text[:limit]


HOSTILE = [
    Hostile(
        "markup",
        '<script>alert(1)</script>"><img src=x onerror=alert(1)>',
        '"<script>alert(1)</script><img/src=x/onerror=alert(1)>"@example.com',
    ),
    Hostile("quotes-emoji", 'Zoë "Zo" O\'Brien & Co 💆🏽\u200d♀️', "o'brien&co@example.com"),
    # Hebrew and Arabic after a RIGHT-TO-LEFT OVERRIDE (U+202E), and an emoji.
    Hostile("rtl", "\u202eשלום עולם مرحبا بك 🧘", None),  # noqa: RUF001
    Hostile("long", "Kneadfulness" * 25, "k" * 64 + "@example.com"),
]

# --- What an entry gives back -----------------------------------------------------------------


@dataclass
class Run:
    """What an entry's trigger needs: the hostile value and the test's fixtures."""

    hostile: Hostile
    capture: Callable

    def address(self, fallback: str) -> str:
        return self.hostile.address or fallback


@dataclass
class Shown:
    """The member-controlled values the messages must show: in both bodies, in the subject."""

    body: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Email:
    id: str
    template: str  # the prefix the message is rendered from
    fields: frozenset[str]  # "text" and/or "address": which hostile values it takes
    send: Callable[[Run], Shown]

    def rendered(self) -> set[str]:
        """The template files a message of this email is rendered from."""
        if self.template.startswith("account/email/"):  # allauth's naming
            return {f"{self.template}_subject.txt"} | {
                f"{self.template}_message.{ext}" for ext in ("txt", "html")
            }
        return {f"{self.template}_subject.txt", f"{self.template}.txt", f"{self.template}.html"}


# --- allauth's account emails -----------------------------------------------------------------


def _signup_data(email: str, display_name: str = "") -> dict[str, str]:
    return {
        "email": email,
        "password1": "a calm long passphrase 42",
        "password2": "a calm long passphrase 42",
        "display_name": display_name,
        "timezone": "Europe/London",
    }


def signup_confirmation(run: Run) -> Shown:
    name = run.hostile.fit(80)
    response = Client().post(
        reverse("account_signup"), _signup_data(run.address("new@example.com"), name)
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown(body=[name])


def added_address_confirmation(run: Run) -> Shown:
    name = run.hostile.fit(80)
    client = Client()
    client.force_login(UserFactory(display_name=name))
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": run.address("added@example.com")}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown(body=[name])


def account_already_exists(run: Run) -> Shown:
    address = run.hostile.address
    UserFactory(email=address)
    response = Client().post(reverse("account_signup"), _signup_data(address))
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown(body=[address])


def unknown_account(run: Run) -> Shown:
    address = run.hostile.address
    response = Client().post(reverse("account_reset_password"), {"email": address})
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown(body=[address])


def password_reset_key(run: Run) -> Shown:
    name = run.hostile.fit(80)
    user = UserFactory(display_name=name, email=run.address("reset@example.com"))
    response = Client().post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown(body=[name])


def password_reset_key_unnamed(run: Run) -> Shown:
    """No display name: the greeting falls back to the address's local part."""
    user = UserFactory(display_name="", email=run.hostile.address)
    response = Client().post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown(body=[user.get_short_name()])


def _notification(template: str, context: Callable[[Run, str], dict[str, str]]):
    """allauth's notifications (``ACCOUNT_EMAIL_NOTIFICATIONS``, off in wellness.settings),
    sent by allauth's adapter as its flows send them, from a request whose browser name
    (shown in the email) is hostile."""

    def send(run: Run) -> Shown:
        name = run.hostile.fit(80)
        user = UserFactory(display_name=name, email=run.address("member@example.com"))
        request = RequestFactory(HTTP_USER_AGENT=run.hostile.text).get("/accounts/email/")
        request.user = user
        extra = context(run, user.email)
        with (
            override_settings(ACCOUNT_EMAIL_NOTIFICATIONS=True),
            allauth_context.request_context(request),
        ):
            get_adapter(request).send_notification_mail(f"account/email/{template}", user, extra)
        return Shown(body=[name, run.hostile.text[:HTTP_USER_AGENT_MAX_LENGTH], *extra.values()])

    return send


# --- Kneadful's own emails --------------------------------------------------------------------

DUE = utc(2026, 11, 23, 8, 0)  # a Monday


def reminder(run: Run) -> Shown:
    name, title = run.hostile.fit(80), run.hostile.fit(120)
    routine = RoutineFactory(title=title, series=SeriesFactory(title=title))
    user = UserFactory(display_name=name, timezone="Europe/London")
    with time_machine.travel(DUE - dt.timedelta(hours=1), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0), routine=routine)
    with (
        time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False),
        run.capture(execute=True),
    ):
        reminder_dispatch_cycle(now=DUE + dt.timedelta(seconds=20))
    return Shown(body=[name, title], subject=[title, name])


# Raw HTML in an editor's Markdown is shown as the text it is, in both parts, never as markup.
RAW_HTML = "<p onclick=alert(1)>raw</p>"


def campaign_body(text: str) -> str:
    """An editor's Markdown with the hostile value as text, heading, link text, raw HTML and
    a ``javascript:`` link (which must not stay a link)."""
    return (
        f"# {text}\n\n{text}\n\n**{text}**\n\n[{text}](https://example.com/)\n\n"
        f"{RAW_HTML}\n\n[click](javascript:alert(1))"
    )


def campaign(run: Run) -> Shown:
    subject = run.hostile.fit(200)
    SubscriberFactory()
    letter = campaign_create(
        subject=subject, body=campaign_body(run.hostile.text), created_by=EditorFactory()
    )
    with run.capture(execute=True):
        campaign_send(campaign=letter)
    return Shown(body=[run.hostile.text, RAW_HTML], subject=[subject])


def campaign_test_copy(run: Run) -> Shown:
    subject = run.hostile.fit(200)
    editor = EditorFactory(display_name=run.hostile.fit(80))
    letter = campaign_create(subject=subject, body=campaign_body(run.hostile.text))
    campaign_test_send(campaign=letter, user=editor)
    return Shown(body=[run.hostile.text, RAW_HTML], subject=[subject])


def offer_announcement(run: Run) -> Shown:
    title = run.hostile.fit(120)
    SubscriberFactory(newsletter_confirmed_at=None, offers_confirmed_at=timezone.now())
    offer = OfferFactory(title=title, description=run.hostile.text)
    with run.capture(execute=True):
        offer_announce(offer=offer, send=True)
    return Shown(body=[title, run.hostile.text], subject=[title])


def series_announcement(run: Run) -> Shown:
    title, summary = run.hostile.fit(120), run.hostile.fit(240)
    SubscriberFactory()
    series = SeriesFactory(
        status=Series.Status.DRAFT, published_at=None, title=title, summary=summary
    )
    RoutineFactory(series=series, title=title)
    with override_settings(NEWSLETTER_AUTO_SEND=True), run.capture(execute=True):
        series_publish(series=series)
    assert Campaign.objects.get(series=series).status == Campaign.Status.SENT
    return Shown(body=[title, summary], subject=[title])


def newsletter_confirmation(run: Run) -> Shown:
    with run.capture(execute=True):
        response = Client().post(reverse("newsletters:subscribe"), {"email": run.hostile.address})
    assert response.status_code == 302, response.content.decode()[:500]
    return Shown()  # the address is only the recipient


def notice(run: Run) -> Shown:
    """The one-member notice (``accounts.tasks.email_send_task``); no product code sends
    it today, tests and bench/emails.py do."""
    name, text = run.hostile.fit(80), run.hostile.text
    user = UserFactory(display_name=name)
    email_category_set(user=user, category="newsletter", enabled=True)
    context = {
        "headline": text,
        "paragraphs": [text, "Second paragraph."],
        "action_url": "https://example.com/",
        "action_label": text,
    }
    assert email_send_task.apply(args=[user.pk, "notice", context, "newsletter"]).result == "sent"
    # The headline has no length limit of its own: the subject keeps its first 200 characters.
    return Shown(body=[name, text], subject=[text[:200]])


TEXT, ADDRESS = frozenset({"text"}), frozenset({"address"})
EMAILS = [
    Email("signup", "account/email/email_confirmation_signup", TEXT, signup_confirmation),
    Email("address-added", "account/email/email_confirmation", TEXT, added_address_confirmation),
    Email(
        "already-exists", "account/email/account_already_exists", ADDRESS, account_already_exists
    ),
    Email("unknown-account", "account/email/unknown_account", ADDRESS, unknown_account),
    Email("reset-key", "account/email/password_reset_key", TEXT, password_reset_key),
    Email(
        "reset-key-unnamed", "account/email/password_reset_key", ADDRESS, password_reset_key_unnamed
    ),
    Email(
        "password-changed",
        "account/email/password_changed",
        TEXT,
        _notification("password_changed", lambda run, address: {}),
    ),
    Email(
        "password-set",
        "account/email/password_set",
        TEXT,
        _notification("password_set", lambda run, address: {}),
    ),
    Email(
        "password-reset",
        "account/email/password_reset",
        TEXT,
        _notification("password_reset", lambda run, address: {}),
    ),
    Email(
        "email-confirmed",
        "account/email/email_confirm",
        TEXT,
        _notification("email_confirm", lambda run, address: {}),
    ),
    Email(
        "email-changed",
        "account/email/email_changed",
        TEXT,
        _notification(
            "email_changed",
            lambda run, address: {"from_email": address, "to_email": "new.address@example.com"},
        ),
    ),
    Email(
        "email-deleted",
        "account/email/email_deleted",
        TEXT,
        _notification("email_deleted", lambda run, address: {"deleted_email": address}),
    ),
    Email("reminder", "reminders/email/reminder", TEXT, reminder),
    Email("campaign", "emails/campaign", TEXT, campaign),
    Email("campaign-test-copy", "emails/campaign", TEXT, campaign_test_copy),
    Email("offer-announcement", "emails/campaign", TEXT, offer_announcement),
    Email("series-announcement", "emails/campaign", TEXT, series_announcement),
    Email("newsletter-confirm", "emails/newsletter_confirm", ADDRESS, newsletter_confirmation),
    Email("notice", "emails/notice", TEXT, notice),
]


def _cases() -> Iterator:
    for entry in EMAILS:
        for hostile in HOSTILE:
            takes = {"text"} | ({"address"} if hostile.address else set())
            if entry.fields & takes:
                yield pytest.param(entry, hostile, id=f"{entry.id}-{hostile.id}")


# --- Reading the HTML part --------------------------------------------------------------------

INLINE = {"span", "bdi", "a", "strong", "em", "b", "i", "code", "s"}
VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


class _Html(HTMLParser):
    """Every element with its attributes, and every run of text with its open elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[tuple[str, tuple[tuple[str, dict[str, str]], ...]]] = []
        self._open: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        element = (tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        self.texts.append((data, tuple(self._open)))


def _hidden(ancestors) -> bool:
    """In <head> (the <title>) or in the inbox preview line (display:none)."""
    return any(
        tag in {"head", "title"} or "display:none" in attrs.get("style", "").replace(" ", "")
        for tag, attrs in ancestors
    )


def assert_html_safe(html: str, shown: list[str]) -> None:
    page = _Html(html)
    for tag, attrs in page.elements:
        assert tag not in {"script", "iframe", "object", "embed", "form"}, (tag, attrs)
        if tag == "img":  # only the product's own pictures, by absolute address
            assert attrs.get("src", "").startswith(("https://", "http://")), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), f"<{tag} {name}=...> came through"
            assert not value.strip().lower().startswith("javascript:"), (tag, name, value)
    if any("<script" in value for value in shown):
        assert "&lt;script&gt;" in html
    for value in shown:
        runs = [(text, anc) for text, anc in page.texts if value in text and not _hidden(anc)]
        assert runs, f"{value!r} is not shown as text in the HTML part"
        for text, ancestors in runs:
            styles = " ".join(attrs.get("style", "") for _, attrs in ancestors)
            assert "overflow-wrap" in styles or "word-break" in styles, (
                f"{value[:40]!r}...: no ancestor wraps long words"
            )
            marked = [(tag, attrs) for tag, attrs in ancestors if tag == "bdi" or "dir" in attrs]
            assert marked, f"{value[:40]!r}... is not in an element with dir=auto (or <bdi>)"
            tag, attrs = marked[-1]
            assert attrs.get("dir", "auto") == "auto", (tag, attrs)
            if tag in INLINE:  # isolates one value alone inside its sentence
                assert text in shown, f"<{tag} dir=auto> holds {text!r}, not only a value"


# --- Reading the text part and the headers ---------------------------------------------------

ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"</?[a-zA-Z][^>\s]*[\s>/]")


def assert_text_readable(text: str, shown: list[str]) -> None:
    for value in shown:
        assert value in text, f"{value!r} is not in the text part as typed"
    rest = text
    for value in sorted(shown, key=len, reverse=True):
        rest = rest.replace(value, "")
    assert not ENTITY.findall(rest), ENTITY.findall(rest)
    assert not TAG.findall(rest), TAG.findall(rest)


def assert_headers_safe(message: mail.EmailMessage, shown: list[str]) -> None:
    subject = message.subject
    assert "\n" not in subject and "\r" not in subject
    assert 0 < len(subject) <= SUBJECT_MAX, len(subject)
    for value in shown:
        assert value in subject
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    (header,) = parsed.get_all("Subject")
    assert " ".join(str(header).split()) == " ".join(subject.split())
    (to,) = parsed.get_all("To")
    assert [address for _, address in getaddresses([str(to)])] == message.to


# --- The tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "hostile"), list(_cases()))
def test_every_email_shows_hostile_member_input_safely(
    entry: Email, hostile: Hostile, django_capture_on_commit_callbacks
):
    rendered: set[str] = set()

    def seen(sender, template, **kwargs) -> None:
        rendered.add(template.name)

    template_rendered.connect(seen)
    try:
        mail.outbox.clear()
        shown = entry.send(Run(hostile=hostile, capture=django_capture_on_commit_callbacks))
        messages = list(mail.outbox)
    finally:
        template_rendered.disconnect(seen)
    assert entry.rendered() <= rendered, entry.rendered() - rendered
    assert messages, f"{entry.id} sent nothing"
    for message in messages:
        (html, mimetype), *_ = message.alternatives
        assert mimetype == "text/html"
        assert_html_safe(html, shown.body)
        assert_text_readable(message.body, shown.body)
        assert_headers_safe(message, shown.subject)


EXTENDS = re.compile(r"""{%\s*(?:extends|include)\s+["']([^"']+)["']""")


def test_every_email_template_is_in_the_registry():
    """An email template (a file under an ``email``/``emails`` folder of templates/) that no
    registry entry renders, or that none of them extends or includes, fails here: add the
    new email to ``EMAILS``."""
    root = Path(settings.BASE_DIR) / "templates"
    found = {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and {"email", "emails"} & set(path.relative_to(root).parts[:-1])
    }
    covered: set[str] = set()
    todo = [name for entry in EMAILS for name in entry.rendered()]
    while todo:
        name = todo.pop()
        if name in covered:
            continue
        covered.add(name)
        source = root / name
        if source.exists():
            todo.extend(EXTENDS.findall(source.read_text()))
    assert found, "no email templates found: is templates/ where settings say?"
    assert found <= covered, f"email templates no registry entry covers: {sorted(found - covered)}"
