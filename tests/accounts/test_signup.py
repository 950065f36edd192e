"""Sign-up and email addresses: what a new member types is kept or refused, never cut; a
known address gets the same answer, after the same work, as a new one."""

from __future__ import annotations

import importlib

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.test_views import signup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _long_email(length: int) -> str:
    domain = "@example.com"
    return "a" * (length - len(domain)) + domain


def test_a_too_long_email_at_signup_is_a_field_error_and_no_account(client):
    """Issue 13: a 312-character address was cut to 254 characters (no "@" left), an
    account was created and a confirmation sent to the cut address."""
    email = _long_email(312)
    response = signup(client, email=email)
    assert response.status_code == 200
    errors = response.context["form"].errors["email"]
    assert errors == [
        "This email address is 312 characters long; Kneadful can store addresses of up to "
        "254 characters. Please use a shorter address."
    ]
    page = response.content.decode()
    assert 'aria-invalid="true"' in page and email in page  # kept as typed, to be fixed
    assert not User.objects.exists() and not EmailAddress.objects.exists()
    assert mail.outbox == []


def test_an_email_of_exactly_254_characters_signs_up(client):
    email = _long_email(254)
    assert signup(client, email=email).status_code == 302
    assert User.objects.get().email == email


def test_a_too_long_email_cannot_be_added_to_an_account(member_client, user):
    response = member_client.post(
        reverse("account_email"), {"action_add": "", "email": _long_email(300)}
    )
    assert response.status_code == 200
    assert "Please use a shorter address." in response.content.decode()
    assert EmailAddress.objects.filter(user=user).count() == 1


# --- No account enumeration by timing -------------------------------------------------------


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast tests) that counts how many passwords it hashed."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        type(self).hashed += 1
        return super().encode(password, salt)


def test_signup_does_the_same_work_for_a_known_and_a_new_address(settings):
    """Password hashing is what makes a signup slow (~0.3 s in production): a known address
    hashes one too, so the answer time does not tell whether it is known, also when
    allauth holds back its email (one per address per few minutes, production limits)."""
    settings.PASSWORD_HASHERS = ["tests.accounts.test_signup.CountingHasher"]
    settings.ACCOUNT_RATE_LIMITS = importlib.import_module("wellness.settings").ACCOUNT_RATE_LIMITS
    UserFactory(email="known@example.com")

    def work(email: str) -> tuple[int, list[list[str]]]:
        CountingHasher.hashed = 0
        mail.outbox.clear()
        response = signup(Client(), email=email)
        assert response.status_code == 302
        assert response["Location"] == reverse("account_email_verification_sent")
        return CountingHasher.hashed, [message.to for message in mail.outbox]

    assert work("fresh@example.com") == (1, [["fresh@example.com"]])
    assert work("known@example.com") == (1, [["known@example.com"]])
    # Again within the email limit: both addresses are known now, and neither gets a
    # second email; the same hashing still.
    assert work("fresh@example.com") == (1, [])
    assert work("known@example.com") == (1, [])
    assert User.objects.filter(email="fresh@example.com").count() == 1
