"""Cheaper bulk building: the batch renderer and the MIME serialisation give the same mail."""

from __future__ import annotations

import copy
from email import message_from_bytes
from email._policybase import compat32

import pytest

from accounts.emails import Category
from tests.factories import UserFactory
from wellness.emails import (
    EmailBatchRenderer,
    KneadfulEmail,
    email_message_build,
)

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    '<script>alert("x")</script> & Co',
    "Zoë  O'Brien\nsecond line",
    "",  # falls back to the address's local part
    "A" * 80,  # a subject long enough to be folded
    "\x1bkneadful:unsubscribe_url\x1b",  # poses as a placeholder
]


def same_message(fast, slow) -> None:
    assert fast.subject == slow.subject
    assert fast.body == slow.body
    assert fast.alternatives == slow.alternatives
    assert fast.extra_headers == slow.extra_headers
    assert fast.to == slow.to and fast.from_email == slow.from_email
    assert fast.tags == slow.tags and fast.metadata == slow.metadata


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_notice_batch_renders_exactly_what_the_per_message_path_does(name, settings):
    settings.EMAIL_UNSUBSCRIBE_MAILTO = "unsubscribe@kneadful.example"
    user = UserFactory(display_name=name)
    shared = {"headline": "New <routines>", "paragraphs": ["Two new series.", "Hands & <feet>."]}
    personal = {"action_url": 'https://kneadful.example/go/?a=1&b="2"'}
    renderer = EmailBatchRenderer(
        template="notice",
        category=Category.NEWSLETTER,
        context=shared,
        personal_keys=("action_url",),
    )
    fast = renderer.build(user=user, context=personal)
    slow = email_message_build(
        user=user, template="notice", context={**shared, **personal}, category="newsletter"
    )
    same_message(fast, slow)


def test_hostile_display_name_is_escaped_in_html_and_plain_in_text():
    user = UserFactory(display_name="<script>alert(1)</script>")
    renderer = EmailBatchRenderer(
        template="notice",
        category=Category.REMINDERS,
        context={"headline": "Hi", "paragraphs": ["p"]},
        personal_keys=(),
    )
    message = renderer.build(user=user, context={})
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hello <script>alert(1)</script>," in message.body
    assert "\x1b" not in html + message.body + message.subject


def test_transactional_batch_matches_and_has_no_unsubscribe(user):
    renderer = EmailBatchRenderer(
        template="notice",
        category=None,
        context={"headline": "Hi", "paragraphs": []},
        personal_keys=(),
    )
    fast = renderer.build(user=user, context={})
    slow = email_message_build(
        user=user, template="notice", context={"headline": "Hi", "paragraphs": []}, category=None
    )
    same_message(fast, slow)
    assert "List-Unsubscribe" not in fast.extra_headers


def test_a_template_using_other_member_fields_falls_back_to_per_message(settings, tmp_path, user):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "odd_subject.txt").write_text("For {{ user.email }}")
    (tmp_path / "emails" / "odd.txt").write_text(
        '{% extends "emails/base.txt" %}{% block body %}Address: {{ user.email }}{% endblock %}'
    )
    (tmp_path / "emails" / "odd.html").write_text(
        '{% extends "emails/base.html" %}{% block body %}<p>{{ user.email }}</p>{% endblock %}'
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    renderer = EmailBatchRenderer(
        template="odd", category=Category.REMINDERS, context={}, personal_keys=()
    )
    fast = renderer.build(user=user, context={})
    assert user.email in fast.subject and user.email in fast.body
    same_message(
        fast, email_message_build(user=user, template="odd", context={}, category="reminders")
    )


@pytest.mark.parametrize("name", ["Ada", "Zoë Ångström-Ødegård", "B" * 80])
def test_fast_header_folding_writes_the_same_bytes_as_compat32(name, settings):
    settings.EMAIL_UNSUBSCRIBE_MAILTO = "unsubscribe@kneadful.example"
    user = UserFactory(display_name=name)
    message = email_message_build(
        user=user,
        template="notice",
        context={"headline": f"News for {name}", "paragraphs": ["Hello & <b>"]},
        category="newsletter",
    )
    assert isinstance(message, KneadfulEmail)
    mime = message.message()
    fast = mime.as_bytes(linesep="\r\n")
    mime.policy = compat32
    assert mime.as_bytes(linesep="\r\n") == fast
    assert max(len(line) for line in fast.split(b"\r\n")) <= 998


def test_multipart_boundary_is_set_up_front_unique_and_parses(user):
    message = email_message_build(
        user=user, template="notice", context={"headline": "x", "paragraphs": []}, category=None
    )
    first, second = message.message(), message.message()
    boundary = first.get_boundary()
    assert boundary and boundary != second.get_boundary()
    raw = first.as_bytes(linesep="\r\n")
    assert raw.count(f"--{boundary}".encode()) == 3  # two parts and the closing line
    parsed = message_from_bytes(raw)
    assert [part.get_content_type() for part in parsed.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    html = parsed.get_payload()[1].get_payload(decode=True).decode()
    assert html.replace("\r\n", "\n") == message.alternatives[0][0]
