"""The guided player without JavaScript: one step per page, what counts as done, the
finish page. (tests/e2e/test_player.py drives the JavaScript player.)"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from routines import player
from routines.models import SessionLog
from tests.factories import BodyPartFactory, RoutineFactory, SeriesFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


def _content(response) -> str:
    return response.content.decode()


def _form(page: str) -> dict[str, str]:
    """The hidden fields of the step page's form, as the browser would send them."""
    form = re.search(r'<form method="get"[^>]*id="player-form">(.*?)</form>', page, re.S)
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


def _press(client, routine, page: str, go: str, *, did: bool = False):
    data = {**_form(page), "go": go}
    if did:
        data["did"] = "1"
    return client.get(reverse("routines:play", kwargs={"pk": routine.pk}), data)


def _query(response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_player_walks_steps_one_page_at_a_time(member_client):
    routine = RoutineFactory(steps=3)
    url = reverse("routines:play", kwargs={"pk": routine.pk})
    first = _content(member_client.get(url))
    assert "Step 1 of 3" in first
    assert 'id="player-prev"' not in first
    assert 'id="step-did"' in first and "I did this step" in first
    moved = _press(member_client, routine, first, "next")
    assert moved.status_code == 302 and _query(moved)["step"] == "2"

    second = _content(member_client.get(moved["Location"]))
    assert "Step 2 of 3" in second and 'id="player-prev"' in second
    back = _press(member_client, routine, second, "prev")
    assert _query(back)["step"] == "1"

    last = _content(member_client.get(url, {"step": 3}))
    assert "Step 3 of 3" in last and 'id="player-finish"' in last
    # A step that does not exist falls back to the first one.
    assert "Step 1 of 3" in _content(member_client.get(url, {"step": 99}))
    # The player hands the step durations and the "done" rule to the script.
    assert '"duration": 20' in last and '"doneFraction": 0.66' in last


def test_player_per_side_plays_right_then_left(member_client):
    hands = BodyPartFactory(slug="hands", name="Hands")
    routine = RoutineFactory(series=SeriesFactory(body_parts=[hands]), per_side=True, steps=2)
    url = reverse("routines:play", kwargs={"pk": routine.pk})
    right_last = _content(member_client.get(url, {"step": 2, "side": "right"}))
    assert "Step 2 of 2 · right hand" in right_last
    moved = _press(member_client, routine, right_last, "next")
    assert (_query(moved)["step"], _query(moved)["side"]) == ("1", "left")
    left_first = _content(member_client.get(moved["Location"]))
    assert "Step 1 of 2 · left hand" in left_first
    assert 'id="player-finish"' in _content(member_client.get(url, {"step": 2, "side": "left"}))


def test_skipping_through_every_step_saves_nothing_and_says_so(member_client, user):
    """Issue 13: pressing Next through all steps in seconds saved "10/10 (both)"."""
    routine = RoutineFactory(steps=2, per_side=True)
    url = reverse("routines:play", kwargs={"pk": routine.pk})
    page = _content(member_client.get(url))
    for go in ("next", "next", "next", "finish"):
        response = _press(member_client, routine, page, go)
        page = _content(member_client.get(response["Location"]))
    assert "Nothing to save this time" in page
    assert "No step was done in this session, so it is not saved" in page
    assert 'id="finish-form"' not in page
    assert not SessionLog.objects.filter(user=user).exists()


def test_a_step_counts_when_ticked_or_when_its_page_was_open_long_enough(member_client, user):
    routine = RoutineFactory(steps=3, per_side=True)  # 20 s a step
    url = reverse("routines:play", kwargs={"pk": routine.pk})
    with time_machine.travel(NOON, tick=False) as clock:
        page = _content(member_client.get(url))
        clock.shift(13)  # less than 2/3 of 20 s, but ticked
        moved = _press(member_client, routine, page, "next", did=True)
        assert _query(moved)["done"] == "0"
        page = _content(member_client.get(moved["Location"]))
        assert 'id="step-did" checked' not in page  # step 2 is not done yet
        clock.shift(14)  # 2/3 of the step's time on its page: done without a tick
        moved = _press(member_client, routine, page, "next")
        assert _query(moved)["done"] == "0,1"
        page = _content(member_client.get(moved["Location"]))
        clock.shift(2)  # step 3 skipped
        moved = _press(member_client, routine, page, "next")
        assert _query(moved)["done"] == "0,1"
        page = _content(member_client.get(moved["Location"]))  # left hand, step 1
        clock.shift(20)
        ended = _press(member_client, routine, page, "end")
    finish = _content(member_client.get(ended["Location"]))
    # Right: 2 of 3 done, left: 1 of 3; the log claims no more than the fewest.
    assert "Steps completed: 2 of 3 on the right hand, 1 of 3 on the left hand." in finish
    assert 'name="steps_completed" value="1"' in finish
    assert 'name="sides" value="both"' in finish


def test_unticking_a_step_done_earlier_takes_it_back(member_client):
    routine = RoutineFactory(steps=2)
    url = reverse("routines:play", kwargs={"pk": routine.pk})
    page = _content(member_client.get(url, {"step": 1, "done": "0,1"}))
    assert 'id="step-did" checked' in page
    moved = _press(member_client, routine, page, "next")  # the box left unticked
    assert _query(moved)["done"] == "1"


@pytest.mark.parametrize(
    ("per_side", "done", "expected"),
    [
        (False, set(), (0, "")),
        (False, {0, 2}, (2, "")),
        (True, set(), (0, "")),
        (True, {0, 1, 2, 3}, (4, "right")),  # stopped after the right side
        (True, {4, 5}, (2, "left")),  # only the left side was done
        (True, {0, 1, 2, 3, 4}, (1, "both")),  # one step into the left side
        (True, set(range(8)), (4, "both")),
        (True, {0, 1, 2, 3, 7}, (1, "both")),
    ],
)
def test_player_outcome_counts_what_was_done(per_side, done, expected):
    routine = RoutineFactory.build(per_side=per_side)
    assert player.outcome(routine, 4, done) == expected


@pytest.mark.parametrize(
    ("spent", "said", "done"),
    [(0, True, True), (13, False, False), (14, False, True), (20, False, True)],
)
def test_a_step_is_done_after_two_thirds_of_its_time_or_when_said(spent, said, done):
    assert player.step_done(seconds_spent=spent, duration_seconds=20, said_done=said) is done


def test_done_positions_in_links_ignore_nonsense():
    assert player.parse_done("0,3,3,x,-1,9,,2", 4) == {0, 2, 3}
    assert player.format_done({3, 0}) == "0,3"


def test_finish_page_logs_what_was_done_with_tension_map(member_client, user):
    part = BodyPartFactory(slug="feet", name="Feet")
    routine = RoutineFactory(series=SeriesFactory(body_parts=[part]), steps=4)
    url = reverse("routines:finish", kwargs={"pk": routine.pk})
    page = _content(member_client.get(url, {"done": "0,2"}))
    assert 'name="steps_completed" value="2"' in page
    assert "Steps completed: 2 of 4." in page
    form = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    form.pop("csrfmiddlewaretoken")
    member_client.post(url, {**form, "map_feet_before": "7", "map_feet_after": "3"})
    log = SessionLog.objects.get(user=user)
    assert (log.steps_completed, log.steps_total, log.source) == (2, 4, "player")
    assert log.tension_map == {"feet": {"before": 7, "after": 3}}
    detail = _content(member_client.get(reverse("routines:session", kwargs={"log_id": log.pk})))
    assert '<th scope="row">Feet</th><td>7</td><td>3</td>' in detail


def test_finish_page_without_start_estimates_it_from_the_steps_done(member_client):
    routine = RoutineFactory(steps=3)  # 20 s each
    url = reverse("routines:finish", kwargs={"pk": routine.pk})
    with time_machine.travel(NOON, tick=False):
        page = _content(member_client.get(url, {"done": "0,1"}))
        started = re.search(r'name="started_at" value="([^"]+)"', page).group(1)
        assert dt.datetime.fromisoformat(started) == NOON - dt.timedelta(seconds=40)
        assert "Nothing to save" in _content(member_client.get(url, {"done": "-3"}))


def test_a_posted_session_with_nothing_done_is_refused(member_client, user):
    """However the finish form is posted, nothing done is not a session."""
    routine = RoutineFactory(steps=3)
    url = reverse("routines:finish", kwargs={"pk": routine.pk})
    page = _content(member_client.get(url, {"done": "0"}))
    form = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    response = member_client.post(url, {**form, "steps_completed": "0"})
    assert response.status_code == 400
    assert "No step was done in this session, so it is not saved" in _content(response)
    assert not SessionLog.objects.filter(user=user).exists()


def test_start_while_signed_out_explains_the_login_and_comes_back_to_the_player(client, user):
    """Issue 13: "Start" led to the login page with no word of why."""
    routine = RoutineFactory()
    play = reverse("routines:play", kwargs={"pk": routine.pk})
    response = client.get(play)
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith(reverse("account_login")) and "next=" in login
    page = _content(client.get(login))
    assert "Log in to start a guided session" in page
    assert f'name="next" value="{play}"' in page
    logged_in = client.post(
        login, {"login": user.email, "password": "correct-horse-battery", "next": play}
    )
    assert logged_in.status_code == 302 and logged_in["Location"] == play
    assert "Step 1 of 3" in _content(client.get(play))


@pytest.mark.parametrize(
    ("part", "digit", "first"), [("feet", "toe", "big toe"), ("hands", "finger", "thumb")]
)
def test_a_per_finger_step_names_toes_on_the_feet_and_fingers_elsewhere(
    member_client, part, digit, first
):
    series = SeriesFactory(body_parts=[BodyPartFactory(slug=part)])
    routine = RoutineFactory(series=series, steps=1)
    routine.steps.update(per_finger=True)
    other = "finger" if digit == "toe" else "toe"

    play = _content(member_client.get(reverse("routines:play", kwargs={"pk": routine.pk})))
    assert f"Repeat on each {digit}: {first}," in play
    assert f'"digit": "{digit}"' in play
    page = _content(member_client.get(reverse("routines:routine", kwargs={"pk": routine.pk})))
    assert f"Repeat on each {digit}." in page
    listing = _content(member_client.get(series.get_absolute_url()))
    assert f"each {digit})" in listing
    for text in (play, page, listing):
        assert f"each {other}" not in text
