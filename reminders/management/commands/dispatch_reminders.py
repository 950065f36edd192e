"""One reminder dispatch cycle, synchronously: for cron-based deployments and operators.

Prints the totals, then one line per due schedule (the first 20) saying what happens to
each of its occurrences: sent now, skipped as more than an hour late, or already recorded.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from reminders.services import reminder_dispatch_cycle, reminder_sweep


def _instant(raw: str) -> dt.datetime:
    try:
        value = parse_datetime(raw.strip())
    except ValueError:
        value = None
    if value is None:
        raise CommandError(
            f"--at {raw!r} is not an ISO 8601 instant; use e.g. 2026-03-29T07:30:00Z "
            "or 2026-03-29T08:30:00+01:00."
        )
    if value.tzinfo is None:
        raise CommandError(
            f"--at {raw!r} has no offset, so it names no single instant; add Z (UTC) or "
            "an offset such as +01:00."
        )
    return value.astimezone(dt.UTC)


class Command(BaseCommand):
    help = (
        "Run one reminder dispatch cycle through the same service as the beat task: claim "
        "due schedules, write their ledger rows, queue the sends."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            metavar="ISO-8601",
            help="Evaluate due-ness at this instant instead of now (e.g. 2026-03-29T07:30:00Z).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be queued; change nothing and queue nothing.",
        )
        parser.add_argument(
            "--sweep",
            action="store_true",
            help="Also re-queue ledger rows a crashed worker left unsent (what beat's sweep does).",
        )

    def handle(self, *args: object, **options: object) -> None:
        at = _instant(str(options["at"])) if options.get("at") else None
        summary = reminder_dispatch_cycle(now=at, dry_run=bool(options["dry_run"]))
        # The totals, then what happens to each due schedule (the first few).
        for line in summary.report():
            self.stdout.write(line)
        if options["sweep"] and not options["dry_run"]:
            requeued = reminder_sweep(now=at)
            self.stdout.write(f"sweep: re-queued {len(requeued)} unsent reminder(s).")
