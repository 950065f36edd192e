from django.core.management.base import BaseCommand

from accounts.services import demo_accounts_ensure


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo member and the demo editor for local use. Never in production."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--password", default="kneadful-demo", help="Password for both.")

    def handle(self, *args: object, password: str, **options: object) -> None:
        for account in demo_accounts_ensure(password=password):
            role = "editor (staff)" if account.is_staff else "member"
            self.stdout.write(f"  demo {role}: {account.email} / {password}")
