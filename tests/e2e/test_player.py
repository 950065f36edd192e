"""The guided player in a real browser (system Chromium through Playwright).

Routines here have 1-second steps, so a whole session takes a few seconds; the 3-second
get-ready countdown before each timed step is part of the player and is kept.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from routines.models import SessionLog, Step
from tests.factories import RoutineFactory, SeriesFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")
AXE = axe_playwright.Axe()


def _assert_accessible(page) -> None:
    """axe-core (WCAG 2.x A/AA and best practices) finds nothing on the page as it is now."""
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def _short_routine(*, title: str = "Two quick steps", per_side: bool = False):
    series = SeriesFactory(title="Quick series")  # body part: hands
    routine = RoutineFactory(series=series, title=title, steps=0, per_side=per_side)
    for position in (1, 2):
        Step.objects.create(
            routine=routine,
            position=position,
            title=f"Quick step {position}",
            instruction="Press gently.",
            duration_seconds=1,
        )
    return routine


def _log_in(page, live_server, user) -> None:
    """Reuse a real session: the same cookie the login form would set."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _pending(page) -> dict:
    return json.loads(
        page.evaluate("() => localStorage.getItem('kneadful:pending-sessions') || '{}'")
    )


def test_follow_routine_with_keyboard_and_see_it_on_dashboard(page, live_server):
    user = UserFactory()
    routine = _short_routine()
    _log_in(page, live_server, user)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))

    play = page.locator("#player-play")
    expect(play).to_have_text("Start")
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 2")
    _assert_accessible(page)
    page.keyboard.press("Space")
    expect(page.locator("#step-timer")).to_contain_text("Get ready")
    page.keyboard.press("Space")  # pause during the countdown
    expect(play).to_have_text("Resume")
    page.keyboard.press("Space")
    expect(play).to_have_text("Pause")
    # Step 1 runs out by itself (3 s get-ready + 1 s) and the player moves on.
    expect(page.locator("#player-progress")).to_have_text("Step 2 of 2", timeout=8000)
    expect(page.locator("#player-live")).to_contain_text("Quick step 2")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 2")
    # Its timer ran out: step 1 is done without a tick.
    expect(page.get_by_label("I did this step")).to_be_checked()
    page.keyboard.press("ArrowRight")
    did = page.get_by_label("I did this step")
    expect(did).not_to_be_checked()
    did.check()  # done at the member's own pace
    page.get_by_role("button", name="Finish").click()  # the last step: finishing

    heading = page.locator("#finish-heading")
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()
    expect(page.locator("#finish-summary")).to_have_text("Steps completed: 2 of 2.")
    _assert_accessible(page)
    page.get_by_label("Tension before (0-10)").fill("7")
    page.get_by_label("Tension after (0-10)").fill("3")
    page.get_by_label("How was it? (1-5)").select_option("5")
    page.get_by_label("Notes").fill("Warm hands.")
    page.get_by_label("Notes").press("Tab")  # the optional body map, then the button
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save session")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#sync-status")).to_contain_text("Saved")
    assert _pending(page) == {}

    log = SessionLog.objects.get(user=user)
    assert (log.steps_completed, log.steps_total, log.tension_before, log.tension_after) == (
        2,
        2,
        7,
        3,
    )
    assert log.rating == 5 and log.notes == "Warm hands."
    assert log.source == SessionLog.Source.PLAYER  # saved through the API, from the player
    assert log.duration_seconds >= 1

    page.get_by_role("link", name="See my progress").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    expect(page.locator(".stat", has_text="in all")).to_contain_text("1")
    expect(page.locator(".stat", has_text="average tension relief")).to_contain_text("4.0")
    _assert_accessible(page)  # the charts, the heatmap, the forms


def test_pending_log_survives_a_lost_response_and_is_saved_once(page, live_server):
    user = UserFactory()
    routine = _short_routine(per_side=True)
    _log_in(page, live_server, user)
    calls = []

    def flaky(route):
        calls.append(route.request.method)
        if len(calls) == 1:
            # The server stores the log but the answer never reaches the browser.
            route.fetch()
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/sessions/", flaky)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    page.keyboard.press("Space")
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 2 · right hand")
    page.get_by_label("I did this step").check()
    page.get_by_role("button", name="Next step →").click()
    expect(page.locator("#player-progress")).to_have_text("Step 2 of 2 · right hand")
    page.wait_for_timeout(1100)  # a session lasts at least a second
    page.get_by_role("button", name="End early and log what I did").click()
    expect(page.locator("#finish-summary")).to_have_text("Steps completed: 1 of 2 (right side).")
    page.get_by_role("button", name="Save session").click()

    expect(page.locator("#sync-status")).to_contain_text("Not saved yet")
    pending = _pending(page)
    assert len(pending) == 1
    (entry,) = pending.values()
    assert entry["payload"]["steps_completed"] == 1 and entry["payload"]["sides"] == "right"
    # Retried with backoff (2 s) until the server answers; the repeat is the same session.
    expect(page.locator("#sync-status")).to_contain_text("Saved", timeout=8000)
    assert len(calls) >= 2
    assert _pending(page) == {}
    assert SessionLog.objects.filter(user=user).count() == 1
    assert str(SessionLog.objects.get(user=user).client_id) == entry["payload"]["client_id"]


def test_refused_log_shows_field_errors_and_keeps_the_answers(page, live_server):
    user = UserFactory()
    routine = _short_routine()
    _log_in(page, live_server, user)
    answers = []

    def refuse(route):
        answers.append(json.loads(route.request.post_data))
        route.fulfill(
            status=400,
            content_type="application/json",
            body=json.dumps(
                {"tension_after": ["Too high, sorry."], "ended_at": ["The end is odd."]}
            ),
        )

    page.route("**/api/v1/sessions/", refuse)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    expect(page.locator("#player-play")).to_have_text("Start")
    for _ in range(2):
        page.get_by_label("I did this step").check()
        page.locator("#player-controls .player-next").click()
    expect(page.locator("#finish-summary")).to_have_text("Steps completed: 2 of 2.")

    after = page.get_by_label("Tension after (0-10)")
    page.get_by_label("Tension before (0-10)").fill("12")
    page.get_by_role("button", name="Save session").click()
    # Checked in the browser first: nothing is sent.
    expect(page.locator('[data-error-for="tension_before"]')).to_contain_text("0 to 10")
    assert answers == []

    page.get_by_label("Tension before (0-10)").fill("8")
    after.fill("4")
    page.get_by_role("button", name="Save session").click()
    expect(page.locator('[data-error-for="tension_after"]')).to_have_text("Too high, sorry.")
    expect(after).to_have_attribute("aria-invalid", "true")
    expect(after).to_have_value("4")
    expect(page.locator("#finish-errors")).to_contain_text("The end is odd.")
    _assert_accessible(page)
    assert answers[0]["tension_before"] == 8 and answers[0]["routine"] == routine.pk
    (entry,) = _pending(page).values()
    assert entry["invalid"] is True  # kept on the device, not retried blindly
    page.wait_for_timeout(2200)
    assert len(answers) == 1
    assert not SessionLog.objects.exists()
    # Giving up on it clears it from the device.
    page.get_by_role("link", name="Leave without saving").click()
    expect(page.get_by_role("heading", name="Quick series")).to_be_visible()
    assert _pending(page) == {}


def test_player_works_without_javascript(browser, live_server):
    user = UserFactory()
    routine = _short_routine(per_side=True)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, live_server, user)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    for expected in (
        "Step 1 of 2 · right hand",
        "Step 2 of 2 · right hand",
        "Step 1 of 2 · left hand",
    ):
        expect(page.locator("#player-progress")).to_have_text(expected)
        page.get_by_label("I did this step").check()
        page.get_by_role("button", name="Next step →").click()
    expect(page.locator("#player-progress")).to_have_text("Step 2 of 2 · left hand")
    page.wait_for_timeout(1000)  # a session lasts at least a second (and the step's 1 s ran)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="How did it go?")).to_be_visible()
    expect(page.locator("#finish-summary")).to_have_text("Steps completed: 2 of 2 (both sides).")
    page.get_by_label("Tension before (0-10)").fill("5")
    page.get_by_label("Tension after (0-10)").fill("2")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    expect(page.get_by_text("Session saved. Well done!")).to_be_visible()
    log = SessionLog.objects.get(user=user)
    assert (log.steps_completed, log.sides, log.tension_before) == (2, "both", 5)
    context.close()


def test_pending_log_is_sent_on_the_next_page_load(page, live_server):
    user = UserFactory()
    routine = _short_routine()
    _log_in(page, live_server, user)
    page.route("**/api/v1/sessions/", lambda route: route.abort("internetdisconnected"))
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    expect(page.locator("#player-play")).to_have_text("Start")
    page.keyboard.press("Space")
    page.get_by_label("I did this step").check()
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="End early and log what I did").click()
    page.get_by_role("button", name="Save session").click()
    expect(page.locator("#sync-status")).to_contain_text("Not saved yet")
    assert len(_pending(page)) == 1

    page.unroute("**/api/v1/sessions/")  # the connection is back; the member moves on
    page.goto(live_server.url + reverse("routines:dashboard"))
    expect(page.locator("[data-sync-notice]")).to_contain_text("has just been saved")
    assert _pending(page) == {}
    log = SessionLog.objects.get(user=user)
    assert log.steps_completed == 1


def test_signed_out_meanwhile_keeps_the_log_and_says_so(page, live_server):
    """The session ended (e.g. signed out in another tab) before saving: the API answers
    401, the log stays on the device and the member is told to check they are signed in."""
    user = UserFactory()
    routine = _short_routine()
    _log_in(page, live_server, user)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    expect(page.locator("#player-play")).to_have_text("Start")
    page.keyboard.press("Space")
    page.get_by_label("I did this step").check()
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="End early and log what I did").click()
    answers = []
    page.on(
        "response",
        lambda response: (
            answers.append(response.status) if "/api/v1/sessions/" in response.url else None
        ),
    )
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.get_by_role("button", name="Save session").click()
    expect(page.locator("#sync-status")).to_contain_text("check you are still logged in")
    assert answers and set(answers) == {401}
    assert len(_pending(page)) == 1
    assert not SessionLog.objects.filter(user=user).exists()


def test_skipping_through_every_step_saves_nothing_and_says_so(page, live_server):
    """Issue 13: pressing Next through all steps in seconds saved "10/10 (both)"."""
    user = UserFactory()
    routine = _short_routine(per_side=True)
    _log_in(page, live_server, user)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    expect(page.locator("#player-play")).to_have_text("Start")
    page.keyboard.press("Space")
    for _ in range(4):  # four positions: two steps, two hands
        page.keyboard.press("ArrowRight")
    heading = page.locator("#finish-heading")
    expect(heading).to_have_text("Nothing to save this time")
    expect(heading).to_be_focused()
    expect(page.locator("#finish-nothing")).to_contain_text("it is not saved")
    expect(page.get_by_role("button", name="Save session")).to_be_hidden()
    _assert_accessible(page)
    page.wait_for_timeout(300)
    assert posts == [] and not SessionLog.objects.exists()
