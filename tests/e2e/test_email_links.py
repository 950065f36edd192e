"""An email's footer links in a real browser: unsubscribe by keyboard, then preferences."""

from __future__ import annotations

import re

import pytest

from accounts.selectors import email_preferences_for
from accounts.services import email_resubscribe
from tests.factories import UserFactory
from wellness.emails import email_message_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect


def _footer_links(user, live_server, settings) -> tuple[str, str]:
    settings.SITE_URL = live_server.url
    message = email_message_build(
        user=user,
        template="notice",
        context={"headline": "News", "paragraphs": ["Hello."]},
        category="newsletter",
    )
    html = message.alternatives[0][0]
    unsubscribe = re.search(r'href="([^"]+/email/unsubscribe/[^"]+)"', html).group(1)
    preferences = re.search(r'href="([^"]+/email/preferences/[^"]+)"', html).group(1)
    return unsubscribe, preferences


def test_unsubscribe_from_the_email_link_with_the_keyboard(page, live_server, settings):
    member = UserFactory()
    email_resubscribe(user=member, category="newsletter")  # off unless the member opts in
    unsubscribe, preferences = _footer_links(member, live_server, settings)

    page.goto(unsubscribe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from the newsletter?")
    assert email_preferences_for(user=member)["newsletter"] is True  # opening changed nothing
    button = page.get_by_role("button", name="Unsubscribe from the newsletter")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You're unsubscribed from the newsletter"
    )
    assert email_preferences_for(user=member)["newsletter"] is False

    page.goto(preferences)
    newsletter = page.get_by_role("checkbox", name="Newsletter")
    offers = page.get_by_role("checkbox", name="Offers")
    expect(newsletter).not_to_be_checked()
    expect(offers).not_to_be_checked()
    offers.check()
    page.get_by_role("button", name="Save email preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Your email preferences are saved.")
    expect(page.get_by_role("checkbox", name="Offers")).to_be_checked()
    assert email_preferences_for(user=member) == {
        "reminders": True,
        "newsletter": False,
        "offers": True,
    }
