"""Kneadful's starter library, loaded by ``manage.py load_starter_content`` through the services.

The series run feet -> hands -> arms, each announcing the next installment.
"""

from __future__ import annotations

from django.db import transaction

from routines.models import Series
from routines.services import (
    RoutineSpec,
    StepSpec,
    body_part_ensure,
    series_publish,
    series_save,
)

BODY_PARTS = [
    ("hands", "Hands"),
    ("feet", "Feet"),
    ("arms", "Arms"),
    ("neck-shoulders", "Neck and shoulders"),
    ("back", "Back"),
    ("face-scalp", "Face and scalp"),
]

GENERAL_SAFETY = (
    "Gentle pressure only: stop if anything hurts. Skip broken skin, fresh injuries and swollen "
    "or inflamed joints. If you are pregnant or have a condition such as thrombosis, ask a "
    "clinician before you start. This is general wellness guidance, not medical advice."
)
CONTRAINDICATIONS = [
    "I have no broken skin, fresh injury or swollen, inflamed joint where I will massage.",
    "I am not pregnant and have no circulation condition such as thrombosis, "
    "or a clinician has said self-massage is fine for me.",
    "I will stop if anything hurts.",
]

HAND_STEPS = [
    StepSpec(
        "Warm the back of the hand",
        "If you like, smooth on a little hand cream. Stroke from your knuckles up the back of "
        "the hand to the wrist, then let your palm glide lightly back down.",
        "Effleurage (stroking)",
        30,
        area="back-of-hand",
    ),
    StepSpec(
        "Squeeze the whole hand",
        "Wrap your other palm and fingers around the hand and press inward gently, "
        "release, and move a little along. Cover the whole hand.",
        "Compression",
        25,
        area="whole-hand",
    ),
    StepSpec(
        "Squeeze each finger",
        "Take each finger between thumb and forefinger and squeeze it softly all over, "
        "base to tip, one finger after another.",
        "Compression",
        40,
        per_finger=True,
        area="fingers",
    ),
    StepSpec(
        "Circle the finger joints",
        "With the pad of your thumb, draw small circles over every joint of each finger.",
        "Circular pressure",
        40,
        per_finger=True,
        area="finger-joints",
    ),
    StepSpec(
        "Lengthen each finger",
        "Hold a finger at its base between thumb and forefinger, pull gently away from the "
        "hand and let your grip slide off the fingertip. Do it for every finger.",
        "Traction",
        30,
        per_finger=True,
        area="fingers",
    ),
    StepSpec(
        "Trace the grooves",
        "With your thumb, stroke along each groove between the bones on the back of the hand, "
        "from the knuckles toward the wrist. Go over each groove three times.",
        "Stroking",
        30,
        repetitions=3,
        area="grooves",
    ),
    StepSpec(
        "Ease the wrist",
        "Cradle the hand in your other hand and make small, firm circles with your thumb all "
        "the way around the wrist.",
        "Friction",
        30,
        area="wrist",
    ),
    StepSpec(
        "Knead the palm",
        "Turn the hand palm up and support its back with your fingers. Press firm circles "
        "with your thumb over the whole palm.",
        "Circular pressure",
        35,
        area="palm",
    ),
    StepSpec(
        "Glide and circle the heel",
        "Glide from the fingers down the palm to the wrist. Then press the heel of your other "
        "hand into the heel of this one and circle a few times.",
        "Stroking and circular pressure",
        30,
        area="heel",
    ),
    StepSpec(
        "Finish with long strokes",
        "Stroke the palm slowly from fingers to wrist several times, lighter each time.",
        "Stroking",
        20,
        area="palm",
    ),
]

FOOT_STEPS = [
    StepSpec(
        "Settle the foot",
        "Sit with one foot across the opposite knee. Hold it between both hands for a few "
        "breaths, then stroke from toes to ankle on top and underneath.",
        "Effleurage (stroking)",
        30,
        area="whole-foot",
    ),
    StepSpec(
        "Thumb the sole",
        "Press slow circles with both thumbs along the sole, from the heel to the ball of "
        "the foot.",
        "Circular pressure",
        45,
        area="sole",
    ),
    StepSpec(
        "Wring the arch",
        "Hold the foot with both hands and twist them gently in opposite directions, like "
        "wringing a towel, moving from toes to heel.",
        "Wringing",
        30,
        area="arch",
    ),
    StepSpec(
        "Free each toe",
        "Take each toe between thumb and forefinger, circle it gently and then glide off the tip.",
        "Traction",
        40,
        per_finger=True,
        area="toes",
    ),
    StepSpec(
        "Circle the ankle",
        "Make small thumb circles all around the ankle bones, then stroke up toward the calf.",
        "Friction",
        30,
        area="ankle",
    ),
    StepSpec(
        "Finish with long strokes",
        "Stroke the whole foot from toes to ankle several times, lighter each time.",
        "Stroking",
        20,
        area="whole-foot",
    ),
]

ARM_STEPS = [
    StepSpec(
        "Warm the forearm",
        "Stroke from the wrist up to the elbow with your open palm, then glide back lightly.",
        "Effleurage (stroking)",
        30,
        area="forearm",
    ),
    StepSpec(
        "Squeeze up the forearm",
        "Wrap your hand around the forearm and squeeze gently, moving a hand's width at a "
        "time from wrist to elbow.",
        "Compression",
        40,
        area="forearm",
    ),
    StepSpec(
        "Knead the forearm muscles",
        "With your thumb, press slow circles into the fleshy muscles just below the elbow, "
        "where gripping work builds up.",
        "Circular pressure",
        45,
        area="forearm-muscles",
    ),
    StepSpec(
        "Squeeze the upper arm",
        "Grip the upper arm between fingers and thumb and squeeze and release from elbow to "
        "shoulder, front and back.",
        "Compression",
        40,
        area="upper-arm",
    ),
    StepSpec(
        "Finish with long strokes",
        "Stroke from the wrist to the shoulder in one long movement, several times.",
        "Stroking",
        20,
        area="whole-arm",
    ),
]


@transaction.atomic
def starter_library_load() -> list[Series]:
    """Create or refresh the starter series; running it again changes nothing new."""
    parts = {
        slug: body_part_ensure(slug=slug, name=name, position=position)
        for position, (slug, name) in enumerate(BODY_PARTS, start=1)
    }
    arms = series_save(
        slug="arms",
        title="Arms: unwind the forearms",
        summary="Loosen forearms and upper arms after typing, lifting and carrying.",
        description="The third installment: from the wrist up to the shoulder, one arm at a time.",
        body_parts=[parts["arms"]],
        estimated_minutes=8,
        safety_notes=GENERAL_SAFETY,
        contraindications=CONTRAINDICATIONS,
        cover_alt="A forearm resting on a table, the other hand wrapped around it.",
        routines=[
            RoutineSpec(
                slug="forearm-release",
                title="Forearm and upper-arm release",
                intro="Sit comfortably with the arm resting on a table or your thigh.",
                per_side=True,
                steps=ARM_STEPS,
                rest_after="Let both arms hang loose for a moment before you go on.",
            )
        ],
    )
    hands = series_save(
        slug="hands",
        title="Hands: release the grip",
        summary="About five minutes a hand to undo a day of gripping, typing and holding.",
        description=(
            "Our hands spend the day clasping, gripping and holding. This routine stretches the "
            "hand and fingers the other way. It fits a desk break or a commute, and the same "
            "steps work if you massage someone else's hands. Arms come in the next installment."
        ),
        body_parts=[parts["hands"]],
        estimated_minutes=10,
        safety_notes=GENERAL_SAFETY,
        contraindications=CONTRAINDICATIONS,
        cover_alt="Two hands, one thumb pressing gently into the other palm.",
        next_installment=arms,
        routines=[
            RoutineSpec(
                slug="hand-massage",
                title="Self hand massage",
                intro=(
                    "Do every step on your right hand, then repeat on your left. Hand cream "
                    "is optional; it helps your fingers glide."
                ),
                equipment="Hand cream (optional)",
                per_side=True,
                steps=HAND_STEPS,
                rest_after="Rest your hands in your lap for a minute afterwards.",
            )
        ],
    )
    feet = series_save(
        slug="feet",
        title="Feet: ground and soften",
        summary="Soothe soles, arches and toes that carry you all day.",
        description="The first installment. Best done seated, barefoot, before bed.",
        body_parts=[parts["feet"]],
        estimated_minutes=8,
        safety_notes=GENERAL_SAFETY,
        contraindications=CONTRAINDICATIONS,
        cover_alt="A bare foot resting across a knee, both thumbs on the sole.",
        next_installment=hands,
        routines=[
            RoutineSpec(
                slug="foot-massage",
                title="Self foot massage",
                intro="Sit with one foot across the opposite knee. A little cream or oil helps.",
                equipment="Cream or oil (optional)",
                per_side=True,
                steps=FOOT_STEPS,
                rest_after="Put both feet flat on the floor and breathe for a minute.",
            )
        ],
    )
    loaded = [feet, hands, arms]
    for series in loaded:
        if series.status != Series.Status.PUBLISHED:
            series_publish(series=series)
    return loaded
