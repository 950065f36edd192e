"""The guided player's plan: which step on which side comes when, and what a stop means.

Pure functions shared by the no-JavaScript pages and the data handed to static/js/player.js,
so both count steps and sides the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from routines.models import Routine, Series, SessionLog, Step

SIDES_ORDER = ("right", "left")
# A step is done once its timer ran this share of its length (or the member said so).
DONE_FRACTION = 2 / 3

# A body part's singular noun for "right hand"; anything else reads "right side".
SINGULAR = {
    "hands": "hand",
    "feet": "foot",
    "arms": "arm",
    "legs": "leg",
    "shoulders": "shoulder",
    "neck-shoulders": "shoulder",
}

# A step marked ``per_finger`` repeats on each digit: toes on a foot, fingers elsewhere.
FINGERS = ("thumb", "index finger", "middle finger", "ring finger", "little finger")
TOES = ("big toe", "second toe", "middle toe", "fourth toe", "little toe")
DIGITS = {"foot": ("toe", TOES)}


@dataclass(frozen=True)
class Position:
    index: int  # 0-based place in the whole session
    step: Step
    step_number: int  # 1-based within the routine
    side: str  # "right", "left" or "" for routines not done per side


def sides_for(routine: Routine) -> tuple[str, ...]:
    return SIDES_ORDER if routine.per_side else ("",)


def side_noun(series: Series) -> str:
    parts = list(series.body_parts.all())
    if len(parts) == 1:
        return SINGULAR.get(parts[0].slug, "side")
    return "side"


def digits_for(noun: str) -> tuple[str, tuple[str, ...]]:
    """The digit word and names a ``per_finger`` step repeats on, from ``side_noun``."""
    return DIGITS.get(noun, ("finger", FINGERS))


def side_label(side: str, noun: str) -> str:
    return f"{side} {noun}" if side else ""


def plan(routine: Routine, steps: list[Step]) -> list[Position]:
    positions = []
    for side in sides_for(routine):
        for number, step in enumerate(steps, start=1):
            positions.append(Position(len(positions), step, number, side))
    return positions


def find(positions: list[Position], step_number: int, side: str) -> Position | None:
    for position in positions:
        if position.step_number == step_number and position.side == side:
            return position
    return None


def step_done(*, seconds_spent: float, duration_seconds: int, said_done: bool) -> bool:
    """A step counts as done when the member said so, or its timer (or, without
    JavaScript, the step's page) ran for most of its length: skipping is not doing."""
    return said_done or seconds_spent >= DONE_FRACTION * duration_seconds


def parse_done(raw: str, positions_count: int) -> set[int]:
    """The done positions carried in the no-JS links ("0,1,5"); anything else is ignored."""
    done = set()
    for item in (raw or "")[:2000].split(","):
        item = item.strip()
        if item.isdigit() and int(item) < positions_count:
            done.add(int(item))
    return done


def format_done(done: set[int]) -> str:
    return ",".join(str(index) for index in sorted(done))


def done_per_side(routine: Routine, steps_count: int, done: set[int]) -> dict[str, int]:
    """Steps done on each side of the session ("" for routines not done per side)."""
    counts = {}
    for number, side in enumerate(sides_for(routine)):
        first = number * steps_count
        counts[side] = sum(1 for index in done if first <= index < first + steps_count)
    return counts


def outcome(routine: Routine, steps_count: int, done: set[int]) -> tuple[int, str]:
    """(steps_completed, sides) of a session in which the positions ``done`` were done.

    ``sides`` names the sides on which at least one step was done ("right", "left",
    "both", or "" for routines not done per side) and ``steps_completed`` counts the
    steps done on each of them, the fewest if they differ (never more than was done on
    any side). Nothing done is (0, ""): such a session is not saved.
    """
    counts = done_per_side(routine, steps_count, done)
    if not routine.per_side:
        return counts[""], SessionLog.Sides.NONE
    reached = {side: count for side, count in counts.items() if count}
    if not reached:
        return 0, SessionLog.Sides.NONE
    if len(reached) == 1:
        ((side, count),) = reached.items()
        return count, side
    return min(reached.values()), SessionLog.Sides.BOTH


def summary(routine: Routine, steps_count: int, done: set[int], noun: str) -> str:
    """What the finish page says was done, side by side when the sides differ."""
    counts = done_per_side(routine, steps_count, done)
    steps_completed, sides = outcome(routine, steps_count, done)
    if sides == SessionLog.Sides.BOTH and len(set(counts.values())) > 1:
        parts = [
            _("%(done)d of %(total)d on the %(side)s")
            % {"done": counts[side], "total": steps_count, "side": side_label(side, noun)}
            for side in SIDES_ORDER
        ]
        return _("Steps completed: %(parts)s.") % {"parts": ", ".join(parts)}
    text = _("Steps completed: %(done)d of %(total)d") % {
        "done": steps_completed,
        "total": steps_count,
    }
    if sides == SessionLog.Sides.BOTH:
        text += " " + _("(both sides)")
    elif sides:
        text += " " + _("(%(side)s side)") % {"side": sides}
    return text + "."
