from django.core.management.base import BaseCommand

from accounts.services import demo_accounts_ensure
from accounts.services.members import EDITORS_GROUP


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo member and the demo editor for local use. Never in production."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--password", default="kneadful-demo", help="Password for both.")

    def handle(self, *args: object, password: str, **options: object) -> None:
        for account in demo_accounts_ensure(password=password):
            editor = account.groups.filter(name=EDITORS_GROUP).exists()
            role = "editor (opens /editor/)" if editor else "member"
            self.stdout.write(f"  demo {role}: {account.email} / {password}")
