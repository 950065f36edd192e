"""allauth's pages, messages and plain-text emails speak in Kneadful's voice (issue 13):
sentence case, no "Remember Me:", no stock wording."""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# allauth's own wording, which Kneadful's templates replace.
STOCK = [
    "Remember Me",
    "Hello from",
    "Thank you for using",
    "receiving this",
    "Password Reset",
    "Reset My Password",
    "Verify Your Email",
    "Change Password",
    "Current Password",
    "New Password",
    "Email Address",
    "Confirm Access",
    "Bad Token",
    "Successfully signed in",
    "Please contact us",
    "reauthenticate",
    "Change Email",
    "Re-send Verification",
]
# Words that keep their capital inside a sentence.
PROPER = {"Kneadful", "I", "IP"}


def _visible_text(html: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def assert_in_our_voice(text: str) -> None:
    for phrase in STOCK:
        assert phrase not in text, f"{phrase!r} in {text!r}"


def assert_sentence_case(heading: str) -> None:
    words = re.findall(r"[A-Za-z][\w'-]*", heading)
    shouting = [w for w in words[1:] if w[0].isupper() and w not in PROPER]
    assert not shouting, f"Title Case in {heading!r}"


def _check_page(response) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    assert_in_our_voice(_visible_text(html))
    assert not re.search(r":\s*</label>", html), "a label ends with a colon"
    assert not re.search(r"<input[^>]*placeholder=", html), "a placeholder stands in for a label"
    for heading in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html, re.S):
        assert_sentence_case(re.sub(r"<[^>]+>", "", heading))
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert_sentence_case(title.split("·")[0])


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
        "account_inactive",
    ],
)
def test_anonymous_account_pages(client, name):
    _check_page(client.get(reverse(name)))


@pytest.mark.parametrize(
    "name",
    ["account_email", "account_change_password", "account_logout", "account_reauthenticate"],
)
def test_member_account_pages(member_client, name):
    _check_page(member_client.get(reverse(name)))


def test_login_page_keeps_me_logged_in_in_plain_words(client):
    html = client.get(reverse("account_login")).content.decode()
    assert ">Keep me logged in on this device</label>" in html
    assert ">Email address</label>" in html


def test_pages_of_bad_links_and_the_form_with_errors(client, user):
    _check_page(client.get(reverse("account_confirm_email", args=["not-a-key"])))
    page = client.get("/accounts/password/reset/key/1-not-a-key/", follow=True)
    _check_page(page)
    assert "This link no longer works" in page.content.decode()
    _check_page(client.post(reverse("account_login"), {"login": user.email, "password": "no"}))


def test_password_reset_from_a_fresh_link_reads_in_our_voice(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    (message,) = mail.outbox
    path = "/" + re.search(r"https?://\S+", message.body).group(0).split("/", 3)[3]
    _check_page(client.get(path, follow=True))


def test_flash_messages_after_login_and_logout(client, user):
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "correct-horse-battery"},
        follow=True,
    )
    assert f"Welcome, {user.display_name}: you are logged in." in response.content.decode()
    response = client.post(reverse("account_logout"), follow=True)
    assert "You are logged out. See you soon." in response.content.decode()


EMAILS = [
    ("account/email/email_confirmation_signup", {"activate_url": "http://testserver/c/k/"}),
    ("account/email/email_confirmation", {"activate_url": "http://testserver/c/k/"}),
    (
        "account/email/account_already_exists",
        {"email": "a@example.org", "password_reset_url": "http://testserver/r/"},
    ),
    ("account/email/password_reset_key", {"password_reset_url": "http://testserver/r/k/"}),
    ("account/email/unknown_account", {"email": "a@example.org", "signup_url": "http://t/s/"}),
    ("account/email/email_changed", {"from_email": "a@example.org", "to_email": "b@ex.org"}),
    ("account/email/email_confirm", {}),
    ("account/email/email_deleted", {"deleted_email": "a@example.org"}),
    ("account/email/password_changed", {}),
    ("account/email/password_reset", {}),
    ("account/email/password_set", {}),
]


@pytest.mark.parametrize(("prefix", "context"), EMAILS, ids=[e[0].rsplit("/")[-1] for e in EMAILS])
def test_account_emails_plain_text_and_subject_in_our_voice(rf: RequestFactory, prefix, context):
    user = UserFactory(display_name="Robin")
    request = rf.get("/")
    request.user = user
    adapter = get_adapter(request)
    extra = {"ip": "127.0.0.1", "user_agent": "Firefox", "timestamp": "3 Dec 2026, 10:00"}
    message = adapter.render_mail(prefix, user.email, {"user": user, **extra, **context})
    assert message.subject.startswith("[Kneadful] ")
    assert_sentence_case(message.subject.removeprefix("[Kneadful] "))
    assert_in_our_voice(message.subject + message.body)
    assert message.body.startswith("Hello Robin,")
    assert "it is about your Kneadful account" in message.body
    for url in re.findall(r"https?://\S+", " ".join(str(v) for v in context.values())):
        assert url in message.body
