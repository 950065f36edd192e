"""The member's practice around the logs: plan, rest days, favourites, safety checklists."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from routines.models import Favourite, PracticePlan, RestDay, SafetyAcknowledgement, Series
from routines.services.activity import member_stats_invalidate

# A rest day may be marked at most this many days before or after the member's today.
REST_DAY_WINDOW_DAYS = 7


class RestLimitReached(ValidationError):
    """The member already used this week's ad-hoc rest days (a ``local_date`` error)."""

    def __init__(self, message: str) -> None:
        super().__init__({"local_date": [message]})
        self.text = message

    def __str__(self) -> str:
        return self.text


@transaction.atomic
def practice_plan_update(
    *, user: User, rest_weekdays: list[int], rest_days_per_week: int
) -> PracticePlan:
    """Set the member's planned rest weekdays (0 = Monday) and weekly 'rest today' marks."""
    errors: dict[str, str] = {}
    days: list[int] = []
    try:
        days = sorted({int(day) for day in rest_weekdays})
    except (TypeError, ValueError):
        errors["rest_weekdays"] = "Days are numbers from 0 (Monday) to 6 (Sunday)."
    if any(isinstance(day, bool) for day in rest_weekdays or []) or any(
        day < 0 or day > 6 for day in days
    ):
        errors["rest_weekdays"] = "Days are numbers from 0 (Monday) to 6 (Sunday)."
    elif len(days) > 6:
        errors["rest_weekdays"] = "Keep at least one practice day a week."
    if (
        isinstance(rest_days_per_week, bool)
        or not isinstance(rest_days_per_week, int)
        or not 0 <= rest_days_per_week <= 7
    ):
        errors["rest_days_per_week"] = "Choose between 0 and 7 rest days a week."
    if errors:
        raise ValidationError(errors)
    plan, _ = PracticePlan.objects.update_or_create(
        user=user, defaults={"rest_weekdays": days, "rest_days_per_week": rest_days_per_week}
    )
    member_stats_invalidate(user_id=user.pk)
    return plan


def favourite_toggle(*, user: User, series: Series) -> bool:
    """Add or remove a favourite; returns whether the series is now a favourite."""
    deleted, _ = Favourite.objects.filter(user=user, series=series).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Favourite.objects.create(user=user, series=series)
    except IntegrityError:
        pass  # a concurrent toggle added it: it is a favourite
    return True


def favourite_set(*, user: User, series: Series, favourite: bool) -> bool:
    """Make the series a favourite or not (idempotent, for API clients)."""
    if favourite:
        try:
            with transaction.atomic():
                Favourite.objects.get_or_create(user=user, series=series)
        except IntegrityError:
            pass
    else:
        Favourite.objects.filter(user=user, series=series).delete()
    return favourite


def safety_acknowledge(*, user: User, series: Series) -> SafetyAcknowledgement:
    """Remember that the member confirmed the series' checklist (idempotent)."""
    try:
        with transaction.atomic():
            ack, _ = SafetyAcknowledgement.objects.get_or_create(user=user, series=series)
    except IntegrityError:
        ack = SafetyAcknowledgement.objects.get(user=user, series=series)
    return ack


def rest_day_mark(
    *, user: User, local_date: dt.date, now: dt.datetime | None = None
) -> tuple[RestDay, bool]:
    """Mark one of the member's local days as rest (keeps the streak alive).

    The day must be within ``REST_DAY_WINDOW_DAYS`` of the member's today, and at most
    the plan's number of marks per week are allowed (``RestLimitReached``). Marking the
    same day twice is a no-op that returns the existing mark.
    """
    today = (now or timezone.now()).astimezone(user.zone).date()
    if abs((local_date - today).days) > REST_DAY_WINDOW_DAYS:
        raise ValidationError(
            {"local_date": [f"Choose a day within {REST_DAY_WINDOW_DAYS} days of today."]}
        )
    existing = RestDay.objects.filter(user=user, local_date=local_date).first()
    if existing is not None:
        return existing, False
    plan = PracticePlan.objects.filter(user=user).first()
    allowed = (
        plan.rest_days_per_week
        if plan
        else PracticePlan._meta.get_field("rest_days_per_week").default
    )
    week_start = local_date - dt.timedelta(days=local_date.weekday())
    used = RestDay.objects.filter(
        user=user, local_date__gte=week_start, local_date__lt=week_start + dt.timedelta(days=7)
    ).count()
    if used >= allowed:
        raise RestLimitReached(f"You have already used your {allowed} rest day(s) this week.")
    try:
        with transaction.atomic():
            rest = RestDay.objects.create(user=user, local_date=local_date)
            member_stats_invalidate(user_id=user.pk)
            return rest, True
    except IntegrityError:
        return RestDay.objects.get(user=user, local_date=local_date), False
