import pytest
from django.core.management import call_command

from routines.models import BodyPart, Routine, Series, Step

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, object]:
    return {
        "series": sorted(Series.objects.values_list("slug", "status")),
        "routines": Routine.objects.count(),
        "steps": sorted(Step.objects.values_list("routine__slug", "position", "title")),
        "parts": BodyPart.objects.count(),
    }


def test_starter_content_loads_hands_feet_and_arms_published():
    call_command("load_starter_content", verbosity=0)
    slugs = set(Series.objects.published().values_list("slug", flat=True))
    assert {"hands", "feet", "arms"} <= slugs
    hands = Routine.objects.get(series__slug="hands")
    assert hands.per_side is True
    steps = list(hands.steps.order_by("position"))
    assert [s.position for s in steps] == list(range(1, 11))
    assert all(s.duration_seconds > 0 for s in steps)
    assert sum(s.per_finger for s in steps) == 3
    assert steps[5].repetitions == 3


def test_starter_content_announces_next_installments():
    call_command("load_starter_content", verbosity=0)
    assert Series.objects.get(slug="feet").next_installment.slug == "hands"
    assert Series.objects.get(slug="hands").next_installment.slug == "arms"


def test_starter_content_is_idempotent():
    call_command("load_starter_content", verbosity=0)
    first = _snapshot()
    first_ids = set(Step.objects.values_list("routine_id", flat=True))
    call_command("load_starter_content", verbosity=0)
    assert _snapshot() == first
    assert set(Step.objects.values_list("routine_id", flat=True)) == first_ids
