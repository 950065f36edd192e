import zoneinfo

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_there_is_no_username():
    user = User.objects.create_user("Ada@Example.COM", "a-long-passphrase")
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username") or user.username is None
    assert user.email == "Ada@example.com"  # the domain is normalised, the local part kept
    assert authenticate(username="Ada@example.com", password="a-long-passphrase") == user
    assert authenticate(username="Ada@example.com", password="wrong") is None
    assert user.is_staff is False
    assert user.is_superuser is False
    assert user.timezone == "UTC"


def test_an_email_is_required():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "a-long-passphrase")


def test_email_is_unique_regardless_of_case():
    User.objects.create_user("sam@example.com", "pw-one-two-three")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("SAM@example.com", "pw-one-two-three")
    assert User.objects.count() == 1


def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser("root@example.com", "a-long-passphrase")
    assert admin.is_staff and admin.is_superuser
    with pytest.raises(ValueError):
        User.objects.create_superuser("x@example.com", "pw", is_staff=False)


def test_str_and_names_prefer_display_name():
    user = UserFactory(email="kim@example.com", display_name="Kim")
    assert str(user) == "Kim"
    assert user.get_full_name() == "Kim"
    user.display_name = ""
    assert str(user) == "kim@example.com"
    assert user.get_short_name() == "kim"


def test_timezone_must_be_an_iana_name():
    user = UserFactory(timezone="Europe/Berlin")
    assert user.zone == zoneinfo.ZoneInfo("Europe/Berlin")
    for bad in ["Mars/Olympus", "GMT+2", "", "europe/berlin"]:
        user.timezone = bad
        with pytest.raises(ValidationError) as info:
            user.full_clean(exclude=["password"])
        assert "timezone" in info.value.message_dict
