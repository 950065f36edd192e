"""The guided player's plan: which step on which side comes when, and what a stop means.

Pure functions shared by the no-JavaScript pages and the data handed to static/js/player.js,
so both count steps and sides the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from routines.models import Routine, Series, SessionLog, Step

SIDES_ORDER = ("right", "left")

# A body part's singular noun for "right hand"; anything else reads "right side".
SINGULAR = {
    "hands": "hand",
    "feet": "foot",
    "arms": "arm",
    "legs": "leg",
    "shoulders": "shoulder",
    "neck-shoulders": "shoulder",
}

FINGERS = ("thumb", "index finger", "middle finger", "ring finger", "little finger")


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


def outcome(routine: Routine, steps_count: int, done: int) -> tuple[int, str]:
    """(steps_completed, sides) after ``done`` positions of the session were completed.

    Per-side routines play every step on the right, then on the left. ``sides`` names the
    sides the member reached ("right", or "both" once the left side has begun) and
    ``steps_completed`` counts the steps finished on the last side reached, so a full
    session is (all steps, "both") and stopping after the right side is (all, "right").
    """
    total_positions = steps_count * len(sides_for(routine))
    done = max(0, min(done, total_positions))
    if not routine.per_side:
        return done, SessionLog.Sides.NONE
    if steps_count == 0:
        return 0, SessionLog.Sides.NONE
    if done <= steps_count:
        return done, SessionLog.Sides.RIGHT
    return done - steps_count, SessionLog.Sides.BOTH
