"""Account pages: allauth's flows through Kneadful's templates, profile, deletion."""

from __future__ import annotations

import hashlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from routines.models import SessionLog
from tests.factories import SessionLogFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-fresh-long-passphrase"


@pytest.fixture(autouse=True)
def _clear_rate_limit_cache():
    cache.clear()
    yield
    cache.clear()


def link_in(message: mail.EmailMessage) -> str:
    """The path of the first http(s) link in an email body."""
    url = re.search(r"https?://\S+", message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def signup(client, email="new@example.com", **extra):
    data = {
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "display_name": "Robin",
        "timezone": "Europe/Lisbon",
        **extra,
    }
    return client.post(reverse("account_signup"), data)


# --- sign up, verify, log in ---------------------------------------------------------------


def test_signup_page_has_display_name_and_timezone_with_zone_list(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'name="display_name"' in page
    assert re.search(r'<input[^>]+name="timezone"[^>]+data-detect-timezone', page)
    assert '<option value="Europe/London">' in page
    assert 'href="/static/css/site.css"' in page  # the site's own layout, not allauth's bare one


def test_signup_sends_verification_and_confirming_logs_in(client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new@example.com")
    assert (user.display_name, user.timezone) == ("Robin", "Europe/Lisbon")
    assert not EmailAddress.objects.get(user=user).verified

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert message.subject.startswith("[Kneadful]")
    confirm_path = link_in(message)
    assert "http://testserver/" in message.body  # absolute link on SITE_URL

    # GET only shows the confirmation button (links in emails may be prefetched).
    assert client.get(confirm_path).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("routines:dashboard")).status_code == 200  # logged in

    client.post(reverse("account_logout"))
    assert client.get(reverse("routines:dashboard")).status_code == 302
    response = client.post(
        reverse("account_login"), {"login": "NEW@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("routines:dashboard")).status_code == 200


def test_login_is_refused_until_the_email_is_verified(client):
    signup(client)
    client.logout()
    mail.outbox.clear()
    response = client.post(
        reverse("account_login"), {"login": "new@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("routines:dashboard")).status_code == 302  # not logged in
    assert len(mail.outbox) <= 1  # at most a fresh verification email


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password1": "123", "password2": "123"}, "password1", "too short"),
        ({"password1": "password", "password2": "password"}, "password1", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "same password"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a time zone we know"),
        ({"timezone": ""}, "timezone", "required"),
    ],
)
def test_bad_signup_input_gets_a_field_message_and_keeps_the_rest(client, data, field, message):
    response = signup(client, **data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field]).lower()
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'value="Robin"' in page  # nothing typed is lost
    assert not User.objects.exists()


def test_signup_with_a_taken_email_creates_nothing_and_reveals_nothing(client, user):
    # allauth's enumeration protection: the same "check your email" answer as a real signup,
    # and the owner of the address is told someone tried.
    response = signup(client, email=user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "already" in mail.outbox[0].body.lower()


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("account_login", {"login": "not an email", "password": "x"}, "login"),
        ("account_reset_password", {"email": "not-an-email"}, "email"),
    ],
)
def test_malformed_email_on_login_and_reset_is_a_field_error(client, name, data, field):
    response = client.post(reverse(name), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors


# --- password reset and change -------------------------------------------------------------


def test_password_reset_by_email_link(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # "check your email" page
    assert len(mail.outbox) == 1
    reset_path = link_in(mail.outbox[0])
    response = client.get(reset_path)  # allauth moves the key into the session
    form_path = response["Location"] if response.status_code == 302 else reset_path
    response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The link works once.
    assert "invalid" in client.get(reset_path, follow=True).content.decode().lower()


def test_password_reset_for_an_unknown_email_reveals_nothing(client, user):
    known = client.post(reverse("account_reset_password"), {"email": user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]  # the same answer either way
    to_nobody = [m for m in mail.outbox if m.to == ["nobody@example.com"]]
    assert all("/password/reset/key/" not in m.body for m in to_nobody)
    assert {tuple(m.to) for m in mail.outbox} <= {(user.email,), ("nobody@example.com",)}


def test_password_change(member_client, user):
    url = reverse("account_change_password")
    response = member_client.post(
        url, {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    response = member_client.post(
        url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert member_client.get(reverse("routines:dashboard")).status_code == 200  # still in


# --- email change --------------------------------------------------------------------------


def test_email_change_takes_effect_after_confirming_the_new_address(member_client, user):
    old_email = user.email
    response = member_client.post(
        reverse("account_email"), {"action_add": "", "email": "moved@example.com"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == old_email  # nothing changes before confirmation
    assert mail.outbox[-1].to == ["moved@example.com"]
    response = member_client.post(link_in(mail.outbox[-1]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "moved@example.com"
    addresses = list(EmailAddress.objects.filter(user=user).values_list("email", "primary"))
    assert addresses == [("moved@example.com", True)]


def test_email_change_to_a_malformed_address_is_refused(member_client, user):
    response = member_client.post(
        reverse("account_email"), {"action_add": "", "email": "not-an-email"}
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not mail.outbox


def test_email_change_to_a_taken_address_never_moves_it(member_client, user, other_user):
    member_client.post(reverse("account_email"), {"action_add": "", "email": other_user.email})
    for message in mail.outbox:
        if message.to == [other_user.email]:
            member_client.post(link_in(message))
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert user.email != other_user.email
    verified = EmailAddress.objects.filter(email__iexact=other_user.email, verified=True)
    assert [a.user for a in verified] == [other_user]


# --- profile -------------------------------------------------------------------------------


def test_profile_timezone_is_never_auto_detected(member_client, user):
    # Only the sign-up form lets the browser fill in its zone: on the profile the saved zone
    # must not be silently replaced on the next save.
    page = member_client.get(reverse("accounts:profile")).content.decode()
    field = re.search(r'<input[^>]+name="timezone"[^>]*>', page).group(0)
    assert 'value="UTC"' in field
    assert "data-detect-timezone" not in field
    assert '<option value="Europe/London">' in page


def test_profile_update(member_client, user):
    response = member_client.post(
        reverse("accounts:profile"), {"display_name": "Sky", "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.timezone) == ("Sky", "Asia/Tokyo")


def test_profile_rejects_an_unknown_timezone_with_a_field_error(member_client, user):
    response = member_client.post(
        reverse("accounts:profile"), {"display_name": "Sky", "timezone": "Europe/Atlantis"}
    )
    assert response.status_code == 200
    assert "not a time zone we know" in response.context["form"].errors["timezone"][0]
    assert 'value="Sky"' in response.content.decode()
    user.refresh_from_db()
    assert user.timezone == "UTC"
    assert member_client.get(reverse("accounts:profile")).status_code == 200


def test_account_pages_need_login(client):
    for name in ["accounts:profile", "accounts:delete", "accounts:export"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- deletion ------------------------------------------------------------------------------


def test_delete_account_needs_the_right_email(member_client, user):
    response = member_client.post(reverse("accounts:delete"), {"confirm_email": "x@example.com"})
    assert response.status_code == 200
    assert "not the email address of this account" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_removes_the_member_and_their_data_only(member_client, user, other_user):
    SessionLogFactory.create_batch(2, user=user)
    theirs = SessionLogFactory(user=other_user)
    response = member_client.post(
        reverse("accounts:delete"), {"confirm_email": user.email.upper()}, follow=True
    )
    assert response.status_code == 200
    assert "deleted" in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()
    assert not EmailAddress.objects.filter(email=user.email).exists()
    assert list(SessionLog.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert User.objects.filter(pk=other_user.pk).exists()
    assert member_client.get(reverse("accounts:profile")).status_code == 302  # logged out
    # The address is free again.
    assert UserFactory(email=user.email).pk != user.pk


# --- allauth pages in the site's look ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
    ],
)
def test_anonymous_account_pages_use_the_site_layout(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="skip-link"' in page
    assert "not medical care" in page  # footer disclaimer


@pytest.mark.parametrize(
    "name", ["account_email", "account_change_password", "account_logout", "accounts:profile"]
)
def test_member_account_pages_use_the_site_layout(member_client, name):
    response = member_client.get(reverse(name))
    assert response.status_code == 200
    assert 'class="skip-link"' in response.content.decode()


def test_confirm_page_for_a_bad_key_is_friendly(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-key"]))
    assert response.status_code in (200, 404)
    assert 'class="skip-link"' in response.content.decode()


def test_profile_page_links_reminders_and_email_preferences(member_client):
    from django.urls import reverse

    response = member_client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert reverse("reminders:list") in response.content.decode()
    assert reverse("accounts:email_preferences") in response.content.decode()


# --- API tokens on the account page --------------------------------------------------------


def csrf_client(user):
    """A browser that must send the CSRF token, as a real one does."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def csrf_of(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def test_profile_lists_the_members_working_tokens(member_client, user, other_user):
    from accounts.services import api_token_create

    used, used_key = api_token_create(user=user, name="Sleep tracker")
    used.last_used_at = used.created_at
    used.save(update_fields=["last_used_at"])
    _, fresh_key = api_token_create(user=user, name="Fresh <script>")
    api_token_create(user=other_user, name="Someone else's")
    page = member_client.get(reverse("accounts:profile")).content.decode()
    section = page[page.index('id="api-tokens"') :]
    assert "<caption" in section
    assert "Sleep tracker" in section
    assert "Fresh &lt;script&gt;" in section
    assert f"<code>{used.prefix}…</code>" in section
    assert section.index("Fresh") < section.index("Sleep tracker")  # newest first
    assert "never" in section
    assert "Someone else" not in page
    assert used_key not in page and fresh_key not in page
    assert used.key_hash not in page
    assert section.count(">Revoke<") == 2


def test_profile_without_tokens_says_so_and_offers_the_form(member_client):
    page = member_client.get(reverse("accounts:profile")).content.decode()
    assert "You have no API tokens." in page
    assert f'action="{reverse("accounts:token_create")}#api-tokens"' in page
    assert '<label for="id_token-name">' in page


def test_creating_a_token_shows_the_key_once(user):
    from accounts.models import ApiToken

    browser = csrf_client(user)
    page = browser.get(reverse("accounts:profile"))
    response = browser.post(
        reverse("accounts:token_create"),
        {"token-name": "Watch", "csrfmiddlewaretoken": csrf_of(page)},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "it will not be shown again" in body
    key = re.search(r'id="new-token" type="text" value="([0-9a-f]+)"', body).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "Watch"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    # Not on any later page.
    assert key not in browser.get(reverse("accounts:profile")).content.decode()


def test_creating_a_token_needs_csrf_and_a_name(user):
    from accounts.models import ApiToken

    browser = csrf_client(user)
    forged = browser.post(reverse("accounts:token_create"), {"token-name": "Evil"})
    assert forged.status_code == 403
    page = browser.get(reverse("accounts:profile"))
    nameless = browser.post(
        reverse("accounts:token_create"), {"token-name": " ", "csrfmiddlewaretoken": csrf_of(page)}
    )
    assert nameless.status_code == 200
    assert nameless.context["token_form"].errors["name"]
    assert 'aria-invalid="true"' in nameless.content.decode()
    assert not ApiToken.objects.exists()
    assert browser.get(reverse("accounts:token_create")).status_code == 405


def test_revoking_a_token_from_the_account_page(user, other_user):
    from accounts.models import ApiToken
    from accounts.services import api_token_create

    mine, _ = api_token_create(user=user, name="Old phone")
    theirs, _ = api_token_create(user=other_user, name="Theirs")
    browser = csrf_client(user)
    assert browser.post(reverse("accounts:token_revoke", args=[mine.pk])).status_code == 403
    csrf = csrf_of(browser.get(reverse("accounts:profile")))
    response = browser.post(
        reverse("accounts:token_revoke", args=[mine.pk]), {"csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile") + "#api-tokens"
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    page = browser.get(response["Location"]).content.decode()
    assert "The token is revoked" in page
    assert "Old phone" not in page
    # Another member's token id does nothing.
    response = browser.post(
        reverse("accounts:token_revoke", args=[theirs.pk]),
        {"csrfmiddlewaretoken": csrf},
        follow=True,
    )
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert "already revoked" in response.content.decode()


def test_token_pages_need_login(client, user):
    from accounts.services import api_token_create

    token, _ = api_token_create(user=user)
    for url in [
        reverse("accounts:token_create"),
        reverse("accounts:token_revoke", args=[token.pk]),
    ]:
        response = client.post(url, {"token-name": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert token.__class__.objects.filter(user=user).count() == 1
