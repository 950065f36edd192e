"""Sign-up and email addresses: what a new member types is kept or refused, never cut."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.accounts.test_views import signup

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
