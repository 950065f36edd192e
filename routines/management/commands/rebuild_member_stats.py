from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from routines.services import member_activity_rebuild


class Command(BaseCommand):
    help = (
        "Recompute members' activity aggregates (dashboard and me/stats figures) from their "
        "session logs: after a bulk import, or to repair them."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--email", help="Only this member (default: everyone).")

    def handle(self, *args: object, **options: object) -> None:
        user = None
        if options.get("email"):
            user = User.objects.filter(email__iexact=options["email"]).first()
            if user is None:
                raise CommandError(f"No member with the email {options['email']!r}.")
        days = member_activity_rebuild(user=user)
        who = user.email if user else "every member"
        self.stdout.write(f"Rebuilt activity of {who}: {days} active day(s).")
