"""allauth's transactional emails wear the same layout as every other Kneadful email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse


def _html(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.django_db
def test_password_reset_email_has_both_alternatives_and_the_kneadful_layout(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject.startswith("[Kneadful] ")
    assert message.body.startswith(f"Hello {user.get_short_name()},")
    assert "it is about your Kneadful account" in message.body
    link = re.search(r"http://testserver/accounts/password/reset/key/\S+", message.body).group(0)
    html = _html(message)
    assert f'href="{link}"' in html
    assert "Choose a new password" in html
    assert "it is about your Kneadful account" in html
    # Transactional: no unsubscribe, whatever the member's preferences.
    assert "List-Unsubscribe" not in message.extra_headers
    assert "/email/unsubscribe/" not in html
    # The link works.
    assert client.get(link.removeprefix("http://testserver"), follow=True).status_code == 200


@pytest.mark.django_db
def test_signup_confirmation_email_has_a_button_and_the_plain_link(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.member@example.com",
            "password1": "a calm long passphrase 42",
            "password2": "a calm long passphrase 42",
            "timezone": "Europe/London",
        },
    )
    assert response.status_code == 302, response.content
    (message,) = mail.outbox
    assert message.to == ["new.member@example.com"]
    link = re.search(r"http://testserver/accounts/confirm-email/\S+", message.body).group(0)
    html = _html(message)
    assert "Confirm my email address" in html
    assert f'href="{link}"' in html
    assert "<!doctype html>" in html.lower()


@pytest.mark.django_db
def test_unknown_account_reset_email_greets_without_a_name(client, settings):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    (message,) = mail.outbox
    assert message.body.startswith("Hello,")
    assert "nobody@example.com" in _html(message)
