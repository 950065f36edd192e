from django.core.management.base import BaseCommand

from routines.starter_content import starter_library_load


class Command(BaseCommand):
    help = "Load (or refresh) the starter routine library. Safe to run any number of times."

    def handle(self, *args: object, **options: object) -> None:
        series = starter_library_load()
        titles = ", ".join(s.title for s in series)
        self.stdout.write(self.style.SUCCESS(f"Starter library ready: {titles}"))
