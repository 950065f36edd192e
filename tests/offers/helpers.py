"""Building a member's streak the way the product does (session logs through the service,
so the per-day aggregates and the stored figures follow), and staff accounts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group, Permission

from accounts.models import EmailPreference, User
from routines.models import Routine
from routines.services import session_log_create
from tests.factories import RoutineFactory, UserFactory


def log_at(user: User, local: dt.datetime, routine: Routine | None = None) -> None:
    """One 10-minute session starting at ``local`` (naive, in the member's zone)."""
    start = local.replace(tzinfo=user.zone)
    session_log_create(
        user=user,
        routine=routine or RoutineFactory(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=10),
    )


def practise(user: User, *, days: int, last: dt.date, hour: int = 8) -> None:
    """A session on each of ``days`` local days ending with ``last`` (a streak of ``days``)."""
    routine = RoutineFactory()
    for back in range(days - 1, -1, -1):
        day = last - dt.timedelta(days=back)
        log_at(user, dt.datetime.combine(day, dt.time(hour)), routine)


def opt_in_to_offers(user: User) -> None:
    EmailPreference.objects.update_or_create(user=user, defaults={"offers": True})


EDITOR_CODENAMES = ["view_offer", "add_offer", "change_offer", "view_redemption"]


def editors_group() -> Group:
    """The "Editors" group as the migrations made it. A transactional test's flush empties
    every table (post_migrate puts the permissions back, not the data migrations' group):
    then it is made again with the offers permissions of migration 0002."""
    group, created = Group.objects.get_or_create(name="Editors")
    if created:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="offers", codename__in=EDITOR_CODENAMES
            )
        )
    return group


def editor(**fields: object) -> User:
    """A member of the "Editors" group (staff status is not needed, as for the demo editor)."""
    user = UserFactory(**fields)
    user.groups.add(editors_group())
    return user


def superuser() -> User:
    return UserFactory(is_staff=True, is_superuser=True)
