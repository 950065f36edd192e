"""Profile the reminder send path in one process: worker CPU per message, no Celery.

    .venv/bin/python bench/reminders_profile.py [--schedules 2000] [--profile]

Starts a throwaway PostgreSQL (tests/servers.py) and the same aiosmtpd sink as
bench/reminders.py in its own process on 127.0.0.1, seeds ``--schedules`` verified members
due in the current minute, runs one dispatch cycle (send tasks not queued), then calls
``reminder_occurrences_send`` chunk by chunk (chunks of REMINDER_CHUNK_SIZE, the first one
as a warm-up) and prints wall time, messages per second and this process's CPU per message.
``--profile`` adds a cProfile listing (cumulative and own time). Everything started is
stopped at exit; bounded by ``--schedules`` (at most 20,000).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import multiprocessing
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders import _sink_main, log, seed  # noqa: E402
from tests.servers import free_port, start_postgres, wait_for_port  # noqa: E402

MAX_SCHEDULES = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    count = max(2, min(args.schedules, MAX_SCHEDULES))

    work = Path(tempfile.mkdtemp(prefix="kneadful-bench-reminders-profile-"))
    (work / "var").mkdir()
    database_url, stop_postgres = start_postgres()
    ctx = multiprocessing.get_context("spawn")
    total = ctx.Value("q", 0, lock=False)
    control, sink_end = ctx.Pipe()
    port = free_port()
    sink = ctx.Process(target=_sink_main, args=(port, total, sink_end), daemon=True)
    sink.start()
    try:
        assert control.recv() == "ready"
        wait_for_port(port)
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "wellness.settings",
                "DATABASE_URL": database_url,
                "EMAIL_URL": f"smtp://127.0.0.1:{port}",
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "SITE_URL": "https://kneadful.example",
                "ALLOWED_HOSTS": "kneadful.example",
                "KNEADFUL_VAR_DIR": str(work / "var"),
                "LOG_LEVEL": "WARNING",
                "CONN_MAX_AGE": "600",
            }
        )
        import django

        django.setup()
        from django.core.management import call_command

        from reminders.models import ReminderOccurrence
        from reminders.services import (
            REMINDER_CHUNK_SIZE,
            reminder_dispatch_cycle,
            reminder_occurrences_send,
        )

        call_command("migrate", verbosity=0)
        due = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        seed(schedules=count, due=due)
        with mock.patch("reminders.services.dispatch._enqueue_sends", return_value=0):
            log(str(reminder_dispatch_cycle(now=due + dt.timedelta(seconds=1))))
        ids = list(ReminderOccurrence.objects.order_by("id").values_list("id", flat=True))
        chunks = [ids[i : i + REMINDER_CHUNK_SIZE] for i in range(0, len(ids), REMINDER_CHUNK_SIZE)]
        reminder_occurrences_send(occurrence_ids=chunks[0])  # warm-up: imports, templates
        profile = cProfile.Profile() if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        for chunk in chunks[1:]:
            reminder_occurrences_send(occurrence_ids=chunk)
        if profile:
            profile.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        measured = len(ids) - len(chunks[0])
        time.sleep(1)
        statuses = Counter(ReminderOccurrence.objects.values_list("status", flat=True))
        print(
            f"sent {measured:,} after the warm-up chunk: {wall:.2f} s, {measured / wall:,.0f}/s, "
            f"CPU per message {cpu / measured * 1000:.2f} ms (this process; profiling "
            f"{'on' if profile else 'off'}); sink received {total.value:,}; ledger {dict(statuses)}"
        )
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        if profile:
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
        return 0 if total.value == len(ids) else 1
    finally:
        control.send("stop")
        control.recv()
        sink.terminate()
        stop_postgres()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
