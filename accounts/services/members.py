"""Writes about members: profile, deletion, demo accounts."""

from __future__ import annotations

from django.db import transaction

from accounts.hooks import member_timezone_changed
from accounts.models import (
    User,
)


@transaction.atomic
def user_profile_update(
    *, user: User, display_name: str | None = None, timezone: str | None = None
) -> User:
    """Change profile fields; everything computed in the member's zone follows a timezone change."""
    fields: list[str] = []
    if display_name is not None:
        user.display_name = display_name
        fields.append("display_name")
    old_timezone = None
    if timezone is not None:
        # Read the stored zone: a ModelForm may already have set the new one on ``user``.
        old_timezone = User.objects.filter(pk=user.pk).values_list("timezone", flat=True).first()
        user.timezone = timezone
        fields.append("timezone")
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=fields)
    if old_timezone is not None and old_timezone != user.timezone:
        # Other apps move what they computed in the old zone (reminders: its schedules).
        member_timezone_changed.send(
            sender=User, user=user, old_timezone=old_timezone, new_timezone=user.timezone
        )
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the member and everything that is theirs (cascades through foreign keys)."""
    user.delete()


# ``routines.roles.EDITORS_GROUP``: made, with its permissions, by the editor app's
# migration; named here because accounts imports no app above it.
EDITORS_GROUP = "Editors"


@transaction.atomic
def demo_accounts_ensure(*, password: str) -> list[User]:
    """A verified demo member and a demo editor (in the "Editors" group: the editor's
    pages, not the admin), for ``make run``."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    accounts = []
    for email, name, editor in [
        ("member@kneadful.local", "Demo Member", False),
        ("editor@kneadful.local", "Demo Editor", True),
    ]:
        user, _ = User.objects.get_or_create(email=email)
        user.display_name = name
        user.is_staff = False
        user.timezone = user.timezone or "UTC"
        user.set_password(password)
        user.save()
        if editor:
            user.groups.add(editors)
        else:
            user.groups.remove(editors)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        accounts.append(user)
    return accounts
