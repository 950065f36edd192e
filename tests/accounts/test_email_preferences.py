"""Unsubscribe links, the preference centre and the suppression list."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.emails import (
    preferences_token_make,
    unsubscribe_token_make,
    unsubscribe_token_read,
)
from accounts.models import EmailPreference, EmailSuppression
from accounts.selectors import email_preferences_for, member_data_export
from accounts.services import (
    email_preferences_update,
    email_resubscribe,
    email_suppress,
    email_unsubscribe,
    email_unsuppress,
)

ONE_CLICK = "List-Unsubscribe=One-Click"


def unsubscribe_path(user, category="reminders") -> str:
    return reverse("email:unsubscribe", args=[unsubscribe_token_make(user=user, category=category)])


def one_click(client: Client, path: str, *, multipart: bool = False):
    if multipart:  # Some mail clients post multipart/form-data (RFC 8058 allows both).
        return client.post(path, {"List-Unsubscribe": "One-Click"})
    return client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")


# --- Services and selector ------------------------------------------------------------


@pytest.mark.django_db
def test_preferences_default_without_a_row(user):
    # Consent first: only reminders (which the member sets up) are on by default.
    assert email_preferences_for(user=user) == {
        "reminders": True,
        "newsletter": False,
        "offers": False,
    }
    assert not EmailPreference.objects.exists()


@pytest.mark.django_db
def test_unsubscribe_creates_the_row_lazily_and_keeps_other_defaults(user):
    email_unsubscribe(user=user, category="newsletter")
    email_unsubscribe(user=user, category="newsletter")  # twice: nothing more happens
    assert email_preferences_for(user=user) == {
        "reminders": True,
        "newsletter": False,
        "offers": False,
    }
    assert EmailPreference.objects.count() == 1
    email_resubscribe(user=user, category="newsletter")
    assert email_preferences_for(user=user)["newsletter"] is True


@pytest.mark.django_db
def test_preferences_update_sets_all_three(user):
    email_preferences_update(user=user, reminders=False, newsletter=False, offers=True)
    assert email_preferences_for(user=user) == {
        "reminders": False,
        "newsletter": False,
        "offers": True,
    }


@pytest.mark.django_db
def test_unknown_category_is_refused(user):
    with pytest.raises(ValueError):
        email_unsubscribe(user=user, category="everything")


@pytest.mark.django_db
def test_suppression_is_case_insensitive_and_idempotent():
    first = email_suppress(address="Someone@Example.COM", reason="hard_bounce", detail="550")
    again = email_suppress(address="someone@example.com", reason="complaint")
    assert first.pk == again.pk
    assert first.address == "someone@example.com"
    assert again.reason == "hard_bounce"  # the first reason is kept
    assert email_unsuppress(address="SOMEONE@example.com") == 1
    assert not EmailSuppression.objects.exists()


@pytest.mark.django_db
def test_database_refuses_a_second_row_for_the_same_address_in_another_case():
    from django.db import IntegrityError, transaction

    EmailSuppression.objects.create(address="a@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailSuppression.objects.create(address="A@EXAMPLE.COM")


@pytest.mark.django_db
def test_export_includes_email_preferences_and_suppression(user):
    email_unsubscribe(user=user, category="reminders")
    email_suppress(address=user.email, reason="complaint")
    section = member_data_export(user=user)["email"]
    assert section["preferences"] == {"reminders": False, "newsletter": False, "offers": False}
    assert section["suppressed"] is True
    assert section["suppression_reason"] == "complaint"


# --- Unsubscribe link -----------------------------------------------------------------


@pytest.mark.django_db
def test_get_shows_a_confirmation_and_changes_nothing(user):
    response = Client().get(unsubscribe_path(user, "reminders"))
    assert response.status_code == 200
    assert b"Unsubscribe from practice reminders?" in response.content
    assert b'name="action" value="unsubscribe"' in response.content
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    assert email_preferences_for(user=user)["reminders"] is True
    # The full address is not shown to whoever holds the link.
    assert user.email.encode() not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("multipart", [False, True])
def test_one_click_post_unsubscribes_without_csrf(user, multipart):
    client = Client(enforce_csrf_checks=True)
    response = one_click(client, unsubscribe_path(user, "newsletter"), multipart=multipart)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"unsubscribed" in response.content
    assert email_preferences_for(user=user) == {
        "reminders": True,
        "newsletter": False,
        "offers": False,
    }
    # A second one-click is harmless.
    assert one_click(client, unsubscribe_path(user, "newsletter")).status_code == 200


@pytest.mark.django_db
def test_form_post_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(user)
    assert client.post(path, {"action": "unsubscribe"}).status_code == 403
    assert email_preferences_for(user=user)["reminders"] is True


@pytest.mark.django_db
def test_confirmation_form_unsubscribes_and_offers_to_resubscribe(user):
    client = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(user, "reminders")
    page = client.get(path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    done = client.post(path, {"action": "unsubscribe", "csrfmiddlewaretoken": token.decode()})
    assert done.status_code == 200
    assert b"unsubscribed from practice reminders" in done.content
    assert b'value="resubscribe"' in done.content
    assert email_preferences_for(user=user)["reminders"] is False

    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', done.content).group(1)
    back = client.post(path, {"action": "resubscribe", "csrfmiddlewaretoken": token.decode()})
    assert back.status_code == 200
    assert b"subscribed to practice reminders again" in back.content
    assert email_preferences_for(user=user)["reminders"] is True


@pytest.mark.django_db
def test_get_after_unsubscribing_says_so(user):
    email_unsubscribe(user=user, category="offers")
    response = Client().get(unsubscribe_path(user, "offers"))
    assert b"unsubscribed from offers" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature changed
        lambda t: t.split(":", 1)[0],  # signature cut off
        lambda t: "not-a-token",
        lambda t: t[1:],  # payload changed
    ],
)
def test_tampered_token_gives_a_friendly_400_and_changes_nothing(user, mangle):
    token = unsubscribe_token_make(user=user, category="reminders")
    path = reverse("email:unsubscribe", args=[mangle(token)])
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 400
    assert b"couldn&#x27;t read this link" in page.content or b"couldn't read this link" in (
        page.content
    )
    assert reverse("account_login").encode() in page.content
    assert one_click(client, path).status_code == 400
    assert email_preferences_for(user=user)["reminders"] is True


@pytest.mark.django_db
def test_token_of_a_deleted_member_is_a_friendly_400(user):
    path = unsubscribe_path(user)
    user.delete()
    assert Client().get(path).status_code == 400


@pytest.mark.django_db
def test_token_for_one_category_leaves_the_others(user):
    email_resubscribe(user=user, category="newsletter")
    one_click(Client(), unsubscribe_path(user, "reminders"))
    assert email_preferences_for(user=user) == {
        "reminders": False,
        "newsletter": True,
        "offers": False,
    }


@pytest.mark.django_db
def test_token_of_one_member_never_touches_another(user, other_user):
    # Logged in as other_user, using user's link: only user is unsubscribed.
    for member in (user, other_user):
        email_resubscribe(user=member, category="newsletter")
    client = Client()
    client.force_login(other_user)
    one_click(client, unsubscribe_path(user, "newsletter"))
    assert email_preferences_for(user=user)["newsletter"] is False
    assert email_preferences_for(user=other_user)["newsletter"] is True


@pytest.mark.django_db
def test_a_token_cannot_be_rewritten_to_name_another_member(user, other_user):
    import base64
    import json

    token = unsubscribe_token_make(user=user, category="reminders")
    payload, signature = token.rsplit(":", 1)
    forged = json.dumps({"u": other_user.pk, "c": "reminders"}, separators=(",", ":"))
    forged_payload = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    assert forged_payload != payload
    path = reverse("email:unsubscribe", args=[f"{forged_payload}:{signature}"])
    assert one_click(Client(), path).status_code == 400
    assert email_preferences_for(user=other_user)["reminders"] is True


@pytest.mark.django_db
def test_tokens_do_not_expire(user, settings):
    import time_machine

    token = unsubscribe_token_make(user=user, category="offers")
    with time_machine.travel("2036-01-01 00:00:00+00:00", tick=False):
        assert unsubscribe_token_read(token) == (user, "offers")


@pytest.mark.django_db
def test_an_unsubscribe_token_is_not_a_preferences_token(user):
    token = unsubscribe_token_make(user=user, category="offers")
    assert Client().get(reverse("email:preferences", args=[token])).status_code == 400
    prefs = preferences_token_make(user=user)
    assert Client().get(reverse("email:unsubscribe", args=[prefs])).status_code == 400


@pytest.mark.django_db
def test_unsubscribe_only_answers_get_head_and_post(user):
    assert Client().put(unsubscribe_path(user)).status_code == 405
    assert Client().head(unsubscribe_path(user)).status_code == 200  # link scanners
    assert email_preferences_for(user=user)["reminders"] is True


# --- Preference centre ----------------------------------------------------------------


@pytest.mark.django_db
def test_preference_centre_needs_login(client):
    response = client.get(reverse("accounts:email_preferences"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_preference_centre_shows_defaults(member_client):
    page = member_client.get(reverse("accounts:email_preferences"))
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'name="reminders"[^>]*checked', html)
    assert not re.search(r'name="newsletter"[^>]*checked', html)
    assert not re.search(r'name="offers"[^>]*checked', html)
    assert 'aria-describedby="id_offers_helptext"' in html
    assert "<legend>" in html


@pytest.mark.django_db
def test_preference_centre_saves(member_client, user):
    response = member_client.post(
        reverse("accounts:email_preferences"), {"offers": "on", "newsletter": "on"}
    )
    assert response.status_code == 302
    assert email_preferences_for(user=user) == {
        "reminders": False,
        "newsletter": True,
        "offers": True,
    }
    page = member_client.get(response["Location"])
    assert b"Your email preferences are saved." in page.content


@pytest.mark.django_db
def test_preference_centre_by_token_saves_for_that_member_only(user, other_user):
    email_resubscribe(user=other_user, category="newsletter")
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_user)
    path = reverse("email:preferences", args=[preferences_token_make(user=user)])
    page = client.get(path)
    assert page.status_code == 200
    assert user.email.encode() not in page.content
    assert b"\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2@example.com" in page.content  # masked address
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    saved = client.post(path, {"reminders": "on", "csrfmiddlewaretoken": csrf.decode()})
    assert saved.status_code == 302
    assert saved["Location"] == path
    assert email_preferences_for(user=user) == {
        "reminders": True,
        "newsletter": False,
        "offers": False,
    }
    assert email_preferences_for(user=other_user)["newsletter"] is True


@pytest.mark.django_db
def test_preference_centre_by_token_without_csrf_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    path = reverse("email:preferences", args=[preferences_token_make(user=user)])
    assert client.post(path, {"offers": "on"}).status_code == 403
    assert email_preferences_for(user=user)["offers"] is False


@pytest.mark.django_db
def test_preference_centre_bad_token_is_a_friendly_400():
    response = Client().get(reverse("email:preferences", args=["eyJ1IjoxfQ:forged"]))
    assert response.status_code == 400
    assert b"Log in to manage emails" in response.content


# --- Admin ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_add_and_remove_a_manual_suppression_in_the_admin(client):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    add = reverse("admin:accounts_emailsuppression_add")
    response = client.post(add, {"address": "Noisy@Example.com", "reason": "manual", "detail": ""})
    assert response.status_code == 302, response.content
    row = EmailSuppression.objects.get()
    assert row.address == "noisy@example.com"
    duplicate = client.post(add, {"address": "NOISY@example.com", "reason": "manual"})
    assert duplicate.status_code == 200  # the form shows the constraint error, no 500
    assert EmailSuppression.objects.count() == 1
    delete = reverse("admin:accounts_emailsuppression_delete", args=[row.pk])
    client.post(delete, {"post": "yes"})
    assert not EmailSuppression.objects.exists()
    listing = client.get(reverse("admin:accounts_emailpreference_changelist"))
    assert listing.status_code == 200


@pytest.mark.django_db
def test_one_click_post_without_a_content_type_still_unsubscribes(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_path(user, "offers"), ONE_CLICK, content_type="text/plain")
    assert response.status_code == 200
    email_preferences_update(user=user, reminders=True, newsletter=True, offers=True)
    client.post(unsubscribe_path(user, "offers"), ONE_CLICK, content_type="text/plain")
    assert email_preferences_for(user=user)["offers"] is False


@pytest.mark.django_db
def test_links_signed_before_a_key_rotation_keep_working(user, settings):
    old_key = settings.SECRET_KEY
    path = unsubscribe_path(user, "newsletter")
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert one_click(Client(), path).status_code == 200
    assert email_preferences_for(user=user)["newsletter"] is False
    settings.SECRET_KEY_FALLBACKS = []
    assert Client().get(path).status_code == 400  # friendly page, not a 500


@pytest.mark.django_db
def test_preference_centre_saves_all_boxes_off(user):
    client = Client()  # no CSRF enforcement: the POST body is completely empty
    client.force_login(user)
    response = client.post(reverse("accounts:email_preferences"), {})
    assert response.status_code == 302
    assert email_preferences_for(user=user) == {
        "reminders": False,
        "newsletter": False,
        "offers": False,
    }


@pytest.mark.django_db
def test_member_sees_a_bounce_and_can_resume_their_address(member_client, user):
    email_suppress(address=user.email, reason="hard_bounce", detail="550 no such user")
    page = member_client.get(reverse("accounts:email_preferences"))
    assert b"could not be delivered" in page.content
    response = member_client.post(reverse("accounts:email_preferences"), {"action": "resume"})
    assert response.status_code == 302
    assert not EmailSuppression.objects.exists()
    # Preferences were not touched by the resume button.
    assert email_preferences_for(user=user)["reminders"] is True
    page = member_client.get(response["Location"])
    assert b"send emails to this address again" in page.content
    assert b"could not be delivered" not in page.content


@pytest.mark.django_db
def test_member_cannot_lift_a_staff_suppression(member_client, user):
    email_suppress(address=user.email, reason="manual", detail="support ticket 12")
    page = member_client.get(reverse("accounts:email_preferences"))
    assert b"Our team paused it" in page.content
    assert b'value="resume"' not in page.content
    member_client.post(reverse("accounts:email_preferences"), {"action": "resume"})
    assert EmailSuppression.objects.filter(address=user.email).exists()


@pytest.mark.django_db
def test_resume_only_lifts_the_members_own_address(member_client, user, other_user):
    email_suppress(address=other_user.email, reason="hard_bounce")
    member_client.post(reverse("accounts:email_preferences"), {"action": "resume"})
    assert EmailSuppression.objects.filter(address=other_user.email).exists()
