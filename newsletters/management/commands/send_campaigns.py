"""``manage.py send_campaigns``: one run of the newsletters sweep (what beat runs every minute).

For cron-based hosting without beat, run it every minute; Celery workers for the ``celery``
and ``bulk`` queues must still run for the sends.
"""

from django.core.management.base import BaseCommand

from newsletters.services import campaigns_tick


class Command(BaseCommand):
    help = "Start due campaigns, recover chunks a dead worker left, advance sending campaigns."

    def handle(self, *args, **options) -> None:
        result = campaigns_tick()
        self.stdout.write(
            f"started {len(result.started)} campaign(s); recovered {result.recovered} row(s); "
            f"re-queued {result.requeued_chunks} chunk(s); advanced {len(result.advanced)} "
            f"campaign(s); {result.confirmations} confirmation(s) queued again."
        )
