"""In a real browser (Debian's Chromium through Playwright): sign up, confirm, log in;
keyboard access to the skip link; the README screenshots."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.servers import ROOT

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-browser-passphrase"


def path_of_link(body: str) -> str:
    url = re.search(r"https?://\S+", body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_signup_confirm_logout_login_in_the_browser(live_server, new_context):
    context = new_context(timezone_id="Europe/Lisbon")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")

    # site.js fills in the browser's own zone.
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Lisbon")
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Display name").fill("Bea")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["browser@example.com"]
    page.goto(live_server.url + path_of_link(mail.outbox[0].body))
    page.get_by_role("button", name="Confirm").click()
    # Logged in on confirmation: the member navigation is there.
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Lisbon")
    expect(page.get_by_label("Display name")).to_have_value("Bea")
    context.close()


def test_signup_errors_are_shown_next_to_the_fields(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Time zone").fill("Atlantis/Capital")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="Sign up").click()
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("is not a time zone we know")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("someone@example.com")


def test_keyboard_reaches_the_skip_link_first_with_a_visible_focus_ring(live_server, page):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {cls: el.className, text: el.textContent.trim(), outline: style.outlineStyle,
                    width: parseFloat(style.outlineWidth), top: box.top, height: box.height};
        }"""
    )
    assert focused["cls"] == "skip-link"
    assert focused["text"] == "Skip to content"
    assert focused["outline"] != "none"
    assert focused["width"] >= 2
    assert focused["top"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_readme_screenshots_of_the_home_page(live_server, page):
    call_command("load_starter_content", verbosity=0)
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Series to start with")).to_be_visible()
    expect(page.get_by_text("Hands: release the grip").first).to_be_visible()
    page.screenshot(path=str(docs / "screenshot-home.png"))

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Browse the library")).to_be_visible()
    # Nothing sideways-scrolls on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(docs / "screenshot-mobile.png"))
    assert (docs / "screenshot-home.png").stat().st_size > 10_000
    assert (docs / "screenshot-mobile.png").stat().st_size > 10_000
