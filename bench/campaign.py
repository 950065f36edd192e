"""Campaign benchmark: one newsletter to N confirmed subscribers, then the same with a crash.

    .venv/bin/python bench/campaign.py [--subscribers 100000] [--workers 2] [--concurrency 8]
                                       [--pool threads] [--timeout 1800] [--profile]

Sending is mostly waiting (four SMTP replies and one ledger write per message), so each
worker runs 8 threads: 16 chunks in flight overlap their waits on 2 cores, in ~120 MB a
worker. ``--profile`` runs chunks in this process under cProfile instead of the two runs.

Starts a throwaway PostgreSQL and Redis (tests/servers.py) and an aiosmtpd sink in its own
process, migrates, seeds N confirmed subscribers (COPY), then measures in the same run:

1. the raw SMTP ceiling: smtplib sending one pre-built campaign message (bytes, rendered by
   the product code) over ONE connection to the same sink (best of three before the
   product path and one after it);
2. run 1: the product path. ``manage.py send_campaigns``' service (the beat sweep) starts
   the campaign; real Celery workers on the ``bulk`` queue advance it and send the chunks
   (one SMTP connection per chunk). Emails per second from the start to the last message
   at the sink, as a ratio to the ceiling; peak RSS of every worker's process tree;
3. run 2: a second campaign; once a third is delivered the sink holds every further DATA,
   the workers are SIGKILLed (process groups) while each pool thread is mid-send, the
   held messages are refused (451), the sweep recovers the rows the dead workers held,
   fresh workers finish. Every subscriber must have exactly one copy of each campaign.

Counting is by envelope recipient and campaign (``X-Kneadful-Campaign``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders import smtp_ceiling, tree_cpu, tree_rss  # noqa: E402
from tests.servers import (  # noqa: E402
    CeleryWorker,
    free_port,
    start_postgres,
    start_redis,
    wait_for_port,
)

TARGET_RATIO = 0.6
TARGET_WORKER_RSS_MB = 200


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _sink_main(port: int, total, control) -> None:  # type: ignore[no-untyped-def]
    """Counts (campaign, recipient) pairs; on "hold" it holds every DATA until "release",
    then refuses the held ones with 451 (a crash before the server accepted)."""
    import asyncio
    from collections import Counter

    from aiosmtpd.controller import Controller

    seen: Counter[tuple[bytes, str]] = Counter()
    state = {"first": 0.0, "last": 0.0, "hold_after": 0, "held": 0, "released": False}
    marker = b"X-Kneadful-Campaign: "

    class Count:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            if state["hold_after"] and total.value >= state["hold_after"] and not state["released"]:
                state["held"] += 1
                while not state["released"]:
                    await asyncio.sleep(0.01)
                return "451 4.3.0 Connection went away, try later"
            content = envelope.content
            start = content.find(marker)
            campaign = b""
            if start >= 0:
                start += len(marker)
                campaign = content[start : content.find(b"\r\n", start)]
            seen[(campaign, envelope.rcpt_tos[0])] += 1
            now = time.time()
            if not state["first"]:
                state["first"] = now
            state["last"] = now
            total.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "reset":
            state.update(first=0.0, last=0.0, hold_after=0, held=0, released=False)
            total.value = 0
            control.send("ok")
        elif isinstance(command, tuple) and command[0] == "hold_after":
            state["hold_after"] = command[1]
            control.send("ok")
        elif command == "held":
            control.send(state["held"])
        elif command == "release":
            state["released"] = True
            control.send("ok")
        elif isinstance(command, tuple) and command[0] == "report":
            campaign = str(command[1]).encode()
            mine = {rcpt: n for (c, rcpt), n in seen.items() if c == campaign}
            control.send(
                {
                    "total": sum(mine.values()),
                    "distinct": len(mine),
                    "duplicates": sum(n - 1 for n in mine.values() if n > 1),
                    "first": state["first"],
                    "last": state["last"],
                }
            )
        else:
            controller.stop()
            control.send("stopped")
            return


def service_pids(database_url: str, redis_url: str) -> dict[str, int]:
    """The PostgreSQL postmaster's and redis-server's pids, found by their ports."""
    import psutil

    ports = {"postgres": urlsplit(database_url).port, "redis": urlsplit(redis_url).port}
    found: dict[str, int] = {}
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        args = proc.info["cmdline"] or []
        if "postgres" in (proc.info["name"] or "") and str(ports["postgres"]) in args:
            found["postgres"] = proc.info["pid"]  # the postmaster: "-p PORT"; backends below it
        if "redis" in (proc.info["name"] or "") and f"127.0.0.1:{ports['redis']}" in " ".join(args):
            found["redis"] = proc.info["pid"]
    return found


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def seed(*, subscribers: int) -> None:
    from django.db import connection

    from newsletters.models import Subscriber

    now = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {Subscriber._meta.db_table} (email, newsletter_confirmed_at, requested_category,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(subscribers):
                copy.write_row((f"reader{i}@example.org", now, "", now, now))
        cursor.execute("ANALYZE")
    log(f"seeded {subscribers:,} confirmed subscribers in {time.monotonic() - started:.1f}s")


def new_campaign(subject: str):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from newsletters.models import Campaign

    return Campaign.objects.create(
        subject=subject,
        body="# New this month\n\nThree **gentle** routines for tired hands. "
        "[Open the library](/library/).\n\n- Thumb glide\n- Palm press\n- Wrist circles",
        status="scheduled",
        send_at=timezone.now() - dt.timedelta(seconds=1),
    )


def sample_message() -> bytes:
    from newsletters.models import Subscriber
    from newsletters.services import campaign_message_build

    campaign = new_campaign("Ceiling sample")
    reader = Subscriber.objects.order_by("pk").first()
    message = campaign_message_build(campaign=campaign, recipient=reader)
    raw = message.message().as_bytes(linesep="\r\n")
    campaign.delete()
    return raw


def profile_chunks(*, chunk: int, count: int = 3) -> None:
    """``--profile``: the product's ``campaign_chunk_send`` run in this process on ``count``
    chunks (the first warms up), the last under cProfile; CPU and wall time per message,
    then the functions that take the most (cumulative). No worker runs: the tasks the
    services queue wait in Redis, and the chunks are sent here, as a worker would."""
    import cProfile
    import pstats

    from newsletters.services import campaign_advance, campaign_chunk_send, campaigns_tick

    campaign = new_campaign("Profile")
    campaigns_tick()
    ranges = campaign_advance(campaign_id=campaign.pk).chunks
    profiler = cProfile.Profile()
    for index, (after_id, last_id) in enumerate(ranges[:count]):
        last = index == min(count, len(ranges)) - 1
        wall, cpu = time.perf_counter(), time.process_time()
        if last:
            profiler.enable()
        result = campaign_chunk_send(campaign_id=campaign.pk, after_id=after_id, last_id=last_id)
        if last:
            profiler.disable()
        n = max(result.sent, 1)
        log(
            f"chunk {index + 1}{' (profiled)' if last else ''}: {result.sent} sent, "
            f"{(time.process_time() - cpu) / n * 1000:.2f} ms CPU and "
            f"{(time.perf_counter() - wall) / n * 1000:.2f} ms wall per message"
        )
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pool", default="threads", choices=["prefork", "solo", "threads"])
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--ceiling-messages", type=int, default=5000)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument(
        "--profile", action="store_true", help="profile chunks in this process instead of runs"
    )
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout

    work = Path(tempfile.mkdtemp(prefix="kneadful-bench-campaign-"))
    (work / "var").mkdir()
    database_url, stop_postgres = start_postgres()
    redis_url, stop_redis = start_redis()
    ctx = multiprocessing.get_context("spawn")
    total = ctx.Value("q", 0, lock=False)
    control, sink_end = ctx.Pipe()
    sink_port = free_port()
    sink = ctx.Process(target=_sink_main, args=(sink_port, total, sink_end), daemon=True)
    sink.start()
    workers: list[CeleryWorker] = []

    def ask(command):  # type: ignore[no-untyped-def]
        control.send(command)
        return control.recv()

    try:
        assert control.recv() == "ready"
        wait_for_port(sink_port)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "wellness.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": "https://kneadful.example",
            "ALLOWED_HOSTS": "kneadful.example",
            "KNEADFUL_VAR_DIR": str(work / "var"),
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
            "NEWSLETTER_CHUNK_SIZE": str(args.chunk),
            "NEWSLETTER_PARALLEL_CHUNKS": str(max(2, args.workers * args.concurrency * 2)),
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.db.models import Count

        from newsletters.models import Delivery
        from newsletters.services import campaigns_tick

        log("migrating")
        call_command("migrate", verbosity=0)
        seed(subscribers=args.subscribers)
        if args.profile:
            profile_chunks(chunk=args.chunk)
            return 0
        raw = sample_message()
        ceilings = [smtp_ceiling(sink_port, raw, count=args.ceiling_messages) for _ in range(3)]
        log(
            "SMTP ceiling: "
            + ", ".join(f"{value:,.0f}" for value in ceilings)
            + f" msg/s (smtplib, {len(raw):,} byte message, 1 conn)"
        )

        def start_workers() -> None:
            for _ in range(args.workers):
                worker = CeleryWorker(
                    env, concurrency=args.concurrency, pool=args.pool, queues="bulk"
                )
                workers.append(worker.start())

        def wait_delivered(count: int, label: str, peaks: dict | None = None) -> bool:
            last = 0.0
            while time.monotonic() < deadline:
                if peaks is not None:
                    for worker in workers:
                        key = worker.proc.pid
                        peaks[key] = max(peaks.get(key, 0), tree_rss(worker.proc.pid)[0])
                if total.value >= count:
                    return True
                if time.monotonic() - last > 15:
                    log(f"{label}: {total.value:,}/{count:,} at the sink")
                    last = time.monotonic()
                time.sleep(0.25)
            log(f"TIMEOUT in {label}")
            return False

        # --- run 1: the product path --------------------------------------------------
        ask("reset")
        connections.close_all()
        start_workers()
        cpu_before = sum(tree_cpu(w.proc.pid) for w in workers)
        services = {"sink": sink.pid, **service_pids(database_url, redis_url)}
        services_before = {name: tree_cpu(pid) for name, pid in services.items()}
        load_before = loadavg()
        first = new_campaign("Run 1")
        started = time.time()
        campaigns_tick()
        peaks: dict[int, int] = {}
        wait_delivered(args.subscribers, "run 1", peaks)
        time.sleep(2)
        report1 = ask(("report", first.pk))
        worker_cpu = sum(tree_cpu(w.proc.pid) for w in workers) - cpu_before
        services_cpu = {
            name: tree_cpu(pid) - services_before[name] for name, pid in services.items()
        }
        load_after = loadavg()
        for worker in workers:
            worker.stop()
        workers.clear()
        ceilings.append(smtp_ceiling(sink_port, raw, count=args.ceiling_messages))
        ceiling = max(ceilings)
        elapsed = report1["last"] - started
        rate = report1["total"] / elapsed if elapsed > 0 else 0.0
        first.refresh_from_db()

        # --- run 2: SIGKILL mid-campaign ----------------------------------------------
        ask("reset")
        ask(("hold_after", args.subscribers // 3))
        start_workers()
        second = new_campaign("Run 2")
        campaigns_tick()
        wait_delivered(args.subscribers // 3, "run 2 before the crash")
        hold_deadline = time.monotonic() + 30
        while ask("held") < args.workers * args.concurrency and time.monotonic() < hold_deadline:
            time.sleep(0.05)
        held = ask("held")
        for worker in workers:
            worker.kill()
        workers.clear()
        ask("release")
        at_crash = dict(
            Delivery.objects.filter(campaign=second).values_list("status").annotate(n=Count("pk"))
        )
        log(f"killed the workers with {held} message(s) held mid-send; ledger {at_crash}")
        # No worker runs now, so every 'sending' row was a dead worker's: recover them all.
        tick = campaigns_tick(stale_sending=dt.timedelta(0), stale_queued=dt.timedelta(0))
        log(f"sweep: recovered {tick.recovered} row(s), re-queued {tick.requeued_chunks} chunk(s)")
        start_workers()
        while time.monotonic() < deadline:
            second.refresh_from_db()
            if second.status == "sent":
                break
            time.sleep(0.5)
        time.sleep(2)
        report2 = ask(("report", second.pk))
        second.refresh_from_db()

        mb = {pid: value / 1024 / 1024 for pid, value in peaks.items()}
        worst = max(mb.values()) if mb else 0.0
        print()
        print("## Campaign benchmark result")
        print(f"- confirmed subscribers: {args.subscribers:,}; chunk {args.chunk}")
        print(
            f"- run 1: {report1['total']:,} messages at the sink, {report1['distinct']:,} "
            f"distinct recipients, {report1['duplicates']} duplicates; campaign {first.status}, "
            f"sent {first.sent_count:,}"
        )
        print(f"- run 1 time (start -> last message at the sink): {elapsed:.1f} s")
        print(f"- run 1 emails per second: {rate:,.0f}")
        print(
            f"- raw SMTP ceiling (smtplib, pre-built bytes, one connection): {ceiling:,.0f}/s "
            f"(best of {len(ceilings)}: {', '.join(f'{v:,.0f}' for v in ceilings)}; the last "
            "after run 1)"
        )
        print(
            f"- ratio: {rate / ceiling:.2f} (target >= {TARGET_RATIO}); against the lowest "
            f"ceiling {rate / min(ceilings):.2f}"
        )
        sent = max(report1["total"], 1)
        print(
            f"- CPU per message: workers {worker_cpu / sent * 1000:.2f} ms, "
            + ", ".join(f"{name} {cpu / sent * 1000:.2f} ms" for name, cpu in services_cpu.items())
        )
        print(
            f"- peak RSS per worker tree: {', '.join(f'{v:.0f} MB' for v in mb.values())} "
            f"(target < {TARGET_WORKER_RSS_MB} MB)"
        )
        print(
            f"- workers: {args.workers} x {args.pool} concurrency {args.concurrency}; "
            f"load average (1, 5, 15 min) before run 1 {load_before}, after it {load_after}, "
            f"at the end {loadavg()}"
        )
        print(
            f"- run 2 (SIGKILL of every worker with {held} message(s) mid-send, after "
            f"{args.subscribers // 3:,} delivered; ledger at the crash {at_crash}): "
            f"{report2['total']:,} messages, {report2['distinct']:,} distinct recipients, "
            f"{report2['duplicates']} duplicates; campaign {second.status}, "
            f"sent {second.sent_count:,}"
        )
        once = all(
            r["distinct"] == args.subscribers and r["duplicates"] == 0 for r in (report1, report2)
        )
        print(f"- exactly one copy each, both runs: {'yes' if once else 'NO'}")
        print(f"- RSS target: {'met' if worst < TARGET_WORKER_RSS_MB else 'NOT met'}")
        print(f"- speed target: {'met' if rate / ceiling >= TARGET_RATIO else 'NOT met'}")
        return 0 if once else 1
    finally:
        for worker in workers:
            worker.kill()
        with contextlib.suppress(Exception):
            control.send("stop")
            control.recv()
        sink.terminate()
        stop_redis()
        stop_postgres()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
