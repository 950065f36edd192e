"""In a real browser: a visitor subscribes from the home page and confirms from the email;
the editor publishes a series and sends its announcement from the staff pages; the
announcement arrives, and its unsubscribe link works."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from newsletters.models import Campaign, Subscriber
from routines.models import Series
from routines.services import series_publish
from routines.services.editing import editors_group_ensure
from tests.factories import RoutineFactory, SeriesFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "correct-horse-battery"


def link_in(body: str, part: str) -> str:
    return re.search(rf"https?://\S+{part}\S+", body).group(0)


def test_subscribe_confirm_announcement_and_unsubscribe(page, live_server, settings):
    settings.SITE_URL = live_server.url
    editor = UserFactory(email="editor@kneadful.local", is_staff=True)
    # A transactional test starts from an emptied database: the group the migrations made
    # is made again, with the campaigns' permissions its migration grants.
    editors = editors_group_ensure()
    editors.permissions.add(*Permission.objects.filter(content_type__app_label="newsletters"))
    editor.groups.add(editors)

    # A visitor subscribes from the home page.
    page.goto(f"{live_server.url}/")
    form = page.get_by_role("region", name="New series in your inbox")
    form.get_by_label("Email address").fill("visitor@example.org")
    form.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert [m.to for m in mail.outbox] == [["visitor@example.org"]]

    # ... and confirms from the email.
    page.goto(link_in(mail.outbox[0].body, "/newsletter/confirm/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    assert Subscriber.objects.get(email="visitor@example.org").newsletter_confirmed_at

    # The editor publishes a series (the editor app's pages are another branch: the
    # service they call) and sends its announcement from the staff pages.
    series = SeriesFactory(status=Series.Status.DRAFT, published_at=None, title="Feet, gently")
    RoutineFactory(series=series, title="Arch release")
    series_publish(series=series)
    announcement = Campaign.objects.get(series=series)
    assert announcement.status == "draft"  # NEWSLETTER_AUTO_SEND is off by default

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(editor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New on Kneadful: Feet, gently").click()
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("status").first).to_contain_text("Sending started")
    expect(page.locator("[data-field=status_label]")).to_have_text("Sent")
    expect(page.locator("#campaign-progress-bar")).to_have_attribute("value", "1")
    page.get_by_role("button", name="Log out").click()

    # The announcement arrives, with the series and a working one-click unsubscribe.
    (letter,) = [m for m in mail.outbox if m.extra_headers.get("X-Kneadful-Campaign")]
    assert letter.to == ["visitor@example.org"]
    assert "Feet, gently" in letter.subject and "Arch release" in letter.body
    assert letter.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.goto(link_in(letter.body, "/newsletter/unsubscribe/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from the newsletter?")
    page.get_by_role("button", name="Unsubscribe from the newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You're unsubscribed from the newsletter"
    )
    assert Subscriber.objects.get(email="visitor@example.org").newsletter_confirmed_at is None
