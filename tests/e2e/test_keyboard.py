"""The two main journeys by keyboard alone (issue 14), in Chromium: a member finds a
routine, plays it, logs it and sees it on the dashboard; an editor drafts a series, adds a
routine and a step, previews it and publishes it.

Only ``page.keyboard`` acts (Tab, Shift+Tab, Enter, Space, arrow keys and typing): no
mouse, no ``click()`` or ``fill()``. Locators only name the element the keyboard should
reach, and every control reached shows a visible focus indicator.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from routines.models import Series, SessionLog, Step
from routines.services import editors_group_ensure
from tests.e2e.test_members_layout import signed_in_page
from tests.factories import BodyPartFactory, EditorFactory, RoutineFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect
DESKTOP = {"width": 1280, "height": 800}
MAX_TABS = 60  # more than any page here has controls: a control never reached fails

FOCUS_SHOWN = """el => {
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
    return outline || (s.boxShadow && s.boxShadow !== "none");
}"""


def focus(page, target, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus, and check that it shows."""
    key = "Shift+Tab" if backwards else "Tab"
    target = target.first
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            assert target.evaluate(FOCUS_SHOWN), f"no visible focus on {target}"
            return
    raise AssertionError(f"{target} not reached in {MAX_TABS} presses of {key}")


def type_into(page, field, text: str) -> None:
    focus(page, field)
    page.keyboard.type(text)


def press_on(page, target, key: str = "Enter") -> None:
    focus(page, target)
    page.keyboard.press(key)


def test_member_finds_plays_logs_and_sees_a_routine_by_keyboard(new_context, live_server):
    series_routine = RoutineFactory(title="Two quick steps", steps=0)
    Series.objects.filter(pk=series_routine.series_id).update(
        title="Quick hands", contraindications=["I have no wound on my hands."]
    )
    for position in (1, 2):
        Step.objects.create(
            routine=series_routine,
            position=position,
            title=f"Quick step {position}",
            instruction="Press gently.",
            duration_seconds=1,
        )
    member = UserFactory()
    page = signed_in_page(new_context, live_server, member, DESKTOP)
    page.goto(live_server.url + reverse("home"))

    # The first Tab reaches the skip link, shown on focus; it leads into the main content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate(FOCUS_SHOWN)
    assert skip.bounding_box()["y"] >= 0  # moved into view, not left off-screen
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    # Back up into the header's navigation.
    library = page.get_by_role("navigation", name="Main").get_by_role("link", name="Library")
    focus(page, library, backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Routine library")
    press_on(page, page.get_by_role("link", name="Quick hands"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Quick hands")
    press_on(page, page.get_by_role("link", name="Start “Two quick steps”"))

    # The safety checklist: a check box (Space) and a button.
    press_on(page, page.get_by_label("I have no wound on my hands."), "Space")
    expect(page.get_by_label("I have no wound on my hands.")).to_be_checked()
    press_on(page, page.get_by_role("button", name="I confirm, continue"))
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 2")

    # The player: each step ticked with Space, the next one by its button.
    did = page.get_by_label("I did this step")
    press_on(page, did, "Space")
    expect(did).to_be_checked()
    press_on(page, page.get_by_role("button", name="Next step →"))
    expect(page.locator("#player-progress")).to_have_text("Step 2 of 2")
    focus(page, did, backwards=True)
    page.keyboard.press("Space")
    expect(did).to_be_checked()
    page.wait_for_timeout(1000)  # a session lasts at least a second
    press_on(page, page.get_by_role("button", name="Finish"))

    expect(page.locator("#finish-heading")).to_be_focused()
    type_into(page, page.get_by_label("Tension before (0-10)"), "7")
    type_into(page, page.get_by_label("Tension after (0-10)"), "3")
    focus(page, page.get_by_label("How was it? (1-5)"))
    page.keyboard.press("ArrowDown")  # a select: arrow keys choose
    press_on(page, page.get_by_role("button", name="Save session"))
    expect(page.locator("#sync-status")).to_contain_text("Saved")
    log = SessionLog.objects.get(user=member)
    assert (log.routine_id, log.steps_completed, log.tension_before, log.tension_after) == (
        series_routine.pk,
        2,
        7,
        3,
    )

    press_on(page, page.get_by_role("link", name="See my progress"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    expect(page.locator(".stat", has_text="in all")).to_contain_text("1")


def test_editor_drafts_adds_previews_and_publishes_by_keyboard(new_context, live_server):
    BodyPartFactory(slug="hands", name="Hands")
    editors_group_ensure()
    page = signed_in_page(new_context, live_server, EditorFactory(), DESKTOP)
    page.goto(live_server.url + reverse("home"))

    press_on(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Editor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Series")
    press_on(page, page.get_by_role("link", name="New series"))
    type_into(page, page.get_by_label(re.compile(r"^Title")), "Evening hands")
    press_on(page, page.get_by_label("Hands"), "Space")
    expect(page.get_by_label("Hands")).to_be_checked()
    type_into(page, page.get_by_label("Summary"), "Two calm minutes before bed.")
    type_into(page, page.get_by_label("Estimated minutes"), "2")
    press_on(page, page.get_by_role("button", name="Create draft"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Evening hands")

    press_on(page, page.get_by_role("link", name="Add a routine"))
    type_into(page, page.get_by_label(re.compile(r"^Title")), "Wind down")
    press_on(page, page.get_by_role("button", name="Add routine"))
    press_on(page, page.get_by_role("link", name=re.compile(r"^Add a step\s*:\s*Wind down$")))
    type_into(page, page.get_by_label(re.compile(r"^Title")), "Stroke the palm")
    type_into(page, page.get_by_label("Instruction"), "Stroke slowly from wrist to fingers.")
    type_into(page, page.get_by_label("Duration (seconds)"), "30")
    press_on(page, page.get_by_role("button", name="Add step"))
    expect(page.get_by_text("Step added to “Wind down”.")).to_be_visible()

    press_on(page, page.get_by_role("link", name="Preview as a member"))
    expect(page.get_by_text("Preview of “Evening hands” (draft)")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Evening hands")
    press_on(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Editor"))
    press_on(page, page.get_by_role("link", name="Evening hands"))

    press_on(page, page.get_by_role("button", name="Publish now"))
    expect(page.get_by_text("“Evening hands” is published: members see it now.")).to_be_visible()
    series = Series.objects.get(title="Evening hands")
    assert series.status == Series.Status.PUBLISHED
    assert list(series.routines.get().steps.values_list("title", flat=True)) == ["Stroke the palm"]
