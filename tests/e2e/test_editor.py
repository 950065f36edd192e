"""The staff editor in a real browser (Debian's Chromium through Playwright).

The demo editor of ``make run`` builds a two-step series with a cover image, previews it
as a member would see it, publishes it; the demo member then finds it in the library and
plays it. axe-core checks the series overview in each state it passes through (every
editor page as served: tests/e2e/test_every_page_axe.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.services import demo_accounts_ensure
from routines.models import AuditEntry, Series, SessionLog
from routines.services import editors_group_ensure
from tests.e2e.test_members_layout import assert_no_serious_violations
from tests.factories import BodyPartFactory, image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
PASSWORD = "kneadful-demo"
TITLE = re.compile(r"^Title:?$")


def _for(action: str, title: str) -> re.Pattern:
    """A button or link named "<action>: <title>" (the title is for screen readers)."""
    return re.compile(rf"^{re.escape(action)}\s*:\s*{re.escape(title)}$")


def _log_in(page, live_server, email: str) -> None:
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _add_step(page, title: str, instruction: str, *, another: bool) -> None:
    page.get_by_label(TITLE).fill(title)
    page.get_by_label("Instruction").fill(instruction)
    page.get_by_label("Duration (seconds)").fill("1")
    button = "Add and write another" if another else "Add step"
    page.get_by_role("button", name=button).click()


def test_editor_builds_previews_and_publishes_a_series_a_member_then_plays(
    browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    BodyPartFactory(slug="hands", name="Hands")
    editors_group_ensure()  # as `migrate` made it (an earlier test may have flushed it)
    demo_member, demo_editor = demo_accounts_ensure(password=PASSWORD)
    cover = tmp_path / "cover.png"
    cover.write_bytes(image_bytes("PNG", size=(64, 40)))

    editor_context = browser.new_context()
    page = editor_context.new_page()
    _log_in(page, live_server, demo_editor.email)
    page.get_by_role("link", name="Editor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Series")

    page.get_by_role("link", name="New series").click()
    page.get_by_label(TITLE).fill("Evening hands")
    page.get_by_label("Hands").check()
    page.get_by_label("Summary").fill("Two calm minutes before bed.")
    page.get_by_label("Cover image").set_input_files(str(cover))
    page.get_by_label("Cover description (alt text)").fill("Two hands resting on a blanket")
    page.get_by_label("Estimated minutes").fill("2")
    page.get_by_label("Contraindications checklist").fill("I have no wound on my hands.")
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Evening hands")
    expect(page.get_by_text("Add at least one routine with at least one step")).to_be_visible()
    expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
    expect(page.get_by_role("img", name="Two hands resting on a blanket")).to_be_visible()
    assert_no_serious_violations(page)

    page.get_by_role("link", name="Add a routine").click()
    page.get_by_label(TITLE).fill("Wind down")
    page.get_by_role("button", name="Add routine").click()
    page.get_by_role("link", name=_for("Add a step", "Wind down")).click()
    _add_step(page, "Stroke the palm", "Stroke slowly from wrist to fingers.", another=True)
    expect(page.get_by_text("Step added to “Wind down”.")).to_be_visible()
    _add_step(page, "Rest", "Let both hands rest, palms up.", another=False)
    steps = page.locator("#routines .editor-step")
    expect(steps).to_have_count(2)
    expect(steps.first).to_contain_text("Stroke the palm")
    page.get_by_role("button", name=_for("Move up", "Rest")).click()  # no JavaScript needed
    expect(steps.first).to_contain_text("Rest")
    # With JavaScript, drag and drop posts the same reorder: Rest back below the palm.
    target = steps.nth(1)
    height = target.bounding_box()["height"]
    steps.first.drag_to(target, target_position={"x": 20, "y": height - 4})
    expect(steps.first).to_contain_text("Stroke the palm")
    expect(page.get_by_role("button", name=_for("Move down", "Rest"))).to_have_count(0)
    assert_no_serious_violations(page)

    # Preview: the member's own series page and player, while still a draft.
    page.get_by_role("link", name="Preview as a member").click()
    expect(page.get_by_text("Preview of “Evening hands” (draft)")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Evening hands")
    expect(page.get_by_role("img", name="Two hands resting on a blanket")).to_be_visible()
    page.go_back()
    page.get_by_role("link", name=_for("Preview the player", "Wind down")).click()
    page.get_by_label("I have no wound on my hands.").check()  # as a member would
    page.get_by_role("button", name="I confirm, continue").click()
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 2")
    expect(page.get_by_role("heading", name="Stroke the palm")).to_be_visible()
    page.get_by_role("link", name="Editor").click()
    page.get_by_role("link", name="Evening hands").click()

    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("“Evening hands” is published: members see it now.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Published")
    assert_no_serious_violations(page)
    page.get_by_role("link", name="The whole history").click()
    expect(page.get_by_role("cell", name="Published series “Evening hands”")).to_be_visible()
    editor_context.close()

    series = Series.objects.get(title="Evening hands")
    assert series.status == "published" and series.published_at is not None
    assert series.cover.name.startswith("covers/evening-hands-")
    routine = series.routines.get()
    assert list(routine.steps.order_by("position").values_list("title", flat=True)) == [
        "Stroke the palm",
        "Rest",
    ]
    assert AuditEntry.objects.filter(series=series, action="reorder").count() == 2

    member_context = browser.new_context()
    page = member_context.new_page()
    _log_in(page, live_server, demo_member.email)
    expect(page.get_by_role("link", name="Editor")).to_have_count(0)
    page.get_by_role("link", name="Library").first.click()
    page.get_by_role("link", name="Evening hands").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evening hands")
    page.get_by_role("link", name="Start “Wind down”").click()
    page.get_by_label("I have no wound on my hands.").check()  # the safety checklist
    page.get_by_role("button", name="I confirm, continue").click()
    expect(page.locator("#player-play")).to_have_text("Start")
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 2")
    page.get_by_label("I did this step").check()  # skipping would not count as done
    page.get_by_role("button", name="Next step →").click()
    expect(page.locator("#player-progress")).to_have_text("Step 2 of 2")
    page.get_by_label("I did this step").check()
    page.wait_for_timeout(1000)  # a session lasts at least a second
    page.get_by_role("button", name="End early and log what I did").click()
    expect(page.locator("#finish-heading")).to_be_visible()
    page.get_by_role("button", name="Save session").click()
    expect(page.locator("#sync-status")).to_contain_text("Saved")
    log = SessionLog.objects.get(user=demo_member)
    assert log.routine.series == series and log.steps_total == 2
    member_context.close()
