"""Mixed-load chaos benchmark: members browse, play and log while a campaign and a minute of
reminders go out, and the services fail one after another.

    .venv/bin/python bench/mixed.py [--users 200] [--run-time 600] [--unloaded-time 60]
                                    [--recipients 100000] [--reminders 20000]
                                    [--json PATH] [--timeout 2700]
    smoke: bench/mixed.py --users 50 --run-time 120 --unloaded-time 20 \\
               --recipients 10000 --reminders 4000

Everything on 127.0.0.1, started here and stopped at exit (also on Ctrl-C, SIGTERM and
``--timeout``): a throwaway PostgreSQL and Redis (tests/servers.py), an SMTP sink in its own
process (bench/mixed_sink.py), gunicorn (sync, DEBUG=false, the product's settings plus the
bench app: bench/members_settings.py), Celery workers (default queue: reminders, ticks;
``bulk``: the campaign), one ``celery beat``, and locust (bench/mixed_locust.py, headless).

1. Seed (bench/members_seed.py): members with logs (COPY), the simulated members signed in
   through allauth's login form and given API tokens; confirmed newsletter subscribers
   (bench/campaign.py's ``seed``).
2. Unloaded: one simulated member, no pause, no background work, ``--unloaded-time``: each
   endpoint's p50/p99 alone.
3. Loaded: ``--users`` members for ``--run-time``; at its start a campaign to
   ``--recipients`` subscribers is due (beat's newsletters tick starts it) and
   ``--reminders`` schedules fall due within one minute from 10% of the run. Chaos, at fixed
   offsets of the run: SIGKILL of one default-queue worker (process group) once reminders
   are being sent (10% of them at the sink, or 150 s after they started falling due at the
   latest) and a replacement started at once, as a supervisor would; Redis restarted on
   the same port (45%); PostgreSQL restarted once (65%, ``pg_ctl restart -m fast``); the
   sink answering 451 for 30 s (80%).
4. Drain (at most ``--drain`` s): until every reminder and campaign email is at the sink
   and no ledger row is queued or sending.

Report: p50/p99 per member endpoint unloaded vs loaded and their ratio (target: loaded p99
<= 5x unloaded), errors (answers that were not a clear error, and clear errors that were
retried), writes told "saved" vs rows in the database (by a unique marker in ``notes``)
and duplicates, reminders and campaign emails counted at the sink and in the database
(duplicates, lateness of reminders after their due instant, the killed worker's rows
separately), RSS of every process (first after warm-up, last, peak), and the machine load.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.members import start_gunicorn, stop_gunicorn  # noqa: E402
from bench.members_seed import credentials  # noqa: E402
from bench.members_seed import seed as seed_members  # noqa: E402
from bench.mixed_report import (  # noqa: E402
    CRASH_BOUND_S,
    P99_LIMIT,
    WINDOW_S,
    latency_over_time,
    print_report,
)
from bench.mixed_sink import sink_main  # noqa: E402
from bench.reminders import tree_cpu, tree_rss  # noqa: E402
from tests.servers import (  # noqa: E402
    CeleryWorker,
    RedisServer,
    _as_postgres,
    free_port,
    postgres_bin_dir,
    start_postgres,
    wait_for_port,
)

ENDPOINTS = [
    "library",
    "routine detail",
    "player",
    "finish (form POST)",
    "POST sessions (API)",
    "dashboard",
    "me/stats",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


# --- services that fail on cue ------------------------------------------------------------


def restart_postgres() -> float:
    """``pg_ctl restart -m fast`` (same data, port and options); returns the seconds it took."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data = cursor.fetchone()[0]
    connection.close()
    started = time.monotonic()
    subprocess.run(
        _as_postgres([str(postgres_bin_dir() / "pg_ctl"), "-D", data, "-m", "fast", "-w",
                      "-l", f"{data}/../pg.log", "restart"]),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    return time.monotonic() - started


class Sampler(threading.Thread):
    """RSS and CPU time of every named process tree, and the sink's counts, every ``every``
    seconds; PostgreSQL is found again after its restart through its ``postmaster.pid``."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.pids: dict[str, int] = {}
        self.samples: dict[str, list[tuple[float, int, float]]] = {}  # when, RSS, CPU s
        self.counts: list[tuple[float, dict]] = []
        self.probe = None
        self.postgres_pidfile: Path | None = None
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def watch(self, name: str, pid: int) -> None:
        with self.lock:
            self.pids[name] = pid

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            now = time.monotonic()
            with self.lock:
                pids = dict(self.pids)
            if self.postgres_pidfile is not None:
                with contextlib.suppress(OSError, ValueError):
                    pids["postgres"] = int(self.postgres_pidfile.read_text().split()[0])
            for name, pid in pids.items():
                rss, count = tree_rss(pid)
                if count and rss:
                    self.samples.setdefault(name, []).append((now, rss, tree_cpu(pid)))
            if self.probe is not None:
                with contextlib.suppress(Exception):
                    self.counts.append((now, self.probe()))

    def summary(self, after: float) -> dict[str, dict[str, float]]:
        """Per process: MB at the first sample after ``after`` (warm-up), the last, the peak."""
        result = {}
        for name, samples in self.samples.items():
            if name == "postgres":  # a new process tree after its restart
                continue
            warm = [s for s in samples if s[0] >= after] or samples
            result[name] = {
                "after_warmup_mb": warm[0][1] / 2**20,
                "last_mb": warm[-1][1] / 2**20,
                "peak_mb": max(s[1] for s in warm) / 2**20,
                "samples": len(warm),
            }
        return result

    def by_window(self, start: float, window: float, windows: int) -> list[dict]:
        """Per ``window`` from ``start``: each group's CPU (% of one core) and what reached
        the sink (reminders, campaign emails)."""

        def at(series: list, when: float, pick):  # the last sample at or before ``when``
            before = [pick(s) for s in series if s[0] <= when]
            return before[-1] if before else None

        rows = []
        for index in range(windows):
            low, high = start + index * window, start + (index + 1) * window
            cpu: dict[str, float] = {}
            for name, samples in self.samples.items():
                first, last = at(samples, low, lambda s: s[2]), at(samples, high, lambda s: s[2])
                if first is None:
                    first = 0.0 if samples[0][0] < high else None
                if first is not None and last is not None and last >= first:
                    group = "workers" if name.startswith("worker") else name
                    cpu[group] = cpu.get(group, 0.0) + 100 * (last - first) / window
            sent = {}
            first = at(self.counts, low, lambda s: s[1])
            last = at(self.counts, high, lambda s: s[1])
            if last is not None:
                sent = {k: v - (first or {}).get(k, 0) for k, v in last.items()}
            rows.append({"cpu_pct": cpu, "sent": sent})
        return rows


# --- seeding ------------------------------------------------------------------------------


def seed_schedules(*, user_ids: list[int], first_due: dt.datetime) -> None:
    """One daily schedule per member, falling due one after another within one minute."""
    from django.db import connection

    from reminders.models import ReminderSchedule
    from routines.models import Routine

    routine_ids = list(
        Routine.objects.filter(series__status="published")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = dt.datetime.now(dt.UTC)
    zones = ["UTC", "Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo"]
    weekdays = json.dumps(list(range(7)))
    columns = (
        "user_id, weekdays, local_time, timezone, routine_id, active, skip_if_practised, "
        "next_run_at, created_at, updated_at"
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {ReminderSchedule._meta.db_table} ({columns}) FROM STDIN"
        ) as copy,
    ):
        for index, pk in enumerate(user_ids):
            due = first_due + dt.timedelta(seconds=60 * index / len(user_ids))
            due = due.replace(microsecond=0)
            zone = zones[index % len(zones)]
            local = due.astimezone(ZoneInfo(zone))
            copy.write_row(
                (pk, weekdays, local.time(), zone, routine_ids[index % len(routine_ids)],
                 True, False, due, now, now)
            )  # fmt: skip


def acknowledge_safety(base: str, cookies: dict[str, str], slugs: list[str]) -> int:
    """The member confirms each series' safety statements on its page (GET the form, POST it
    with the page's CSRF token), as before a first session; returns how many it confirmed."""
    import re

    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    opener = urllib.request.build_opener()  # follows the redirect after the POST
    done = 0
    for slug in slugs:
        url = f"{base}/library/{slug}/safety/"
        with opener.open(urllib.request.Request(url, headers={"Cookie": cookie})) as page:  # noqa: S310
            form = page.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        if token is None:
            continue  # already confirmed: the page redirected to the series
        fields = {"csrfmiddlewaretoken": token.group(1)}
        fields.update(dict.fromkeys(re.findall(r'name="(confirm_\d+)"', form), "on"))
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Cookie": cookie, "Referer": url}
        with opener.open(urllib.request.Request(url, data=data, headers=headers)) as answer:  # noqa: S310
            if answer.status == 200 and "/safety/" not in answer.url:
                done += 1
    return done


def playable_routines(base: str, cookies: dict[str, str]) -> tuple[list[int], dict[int, str]]:
    """Published routines whose player page a member reaches directly (no safety gate);
    and what the others answered."""
    from routines.models import Routine

    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    found, others = [], {}
    published = Routine.objects.filter(series__status="published").order_by("pk")
    for pk in published.values_list("pk", flat=True):
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{base}/routines/{pk}/play/", headers={"Cookie": cookie}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                if answer.status == 200 and answer.url.endswith("/play/"):
                    found.append(pk)
                else:
                    others[pk] = f"{answer.status} {answer.url}"
        except urllib.error.HTTPError as error:
            others[pk] = f"{error.code} {error.read()[:300]!r}"
    return found, others


# --- locust ---------------------------------------------------------------------------------


def run_locust(
    *, base: str, work: Path, name: str, users: int, seconds: int, think: str, env: dict
) -> tuple[dict[str, dict], Path]:
    prefix = work / name
    writes = work / f"{name}-writes.jsonl"
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "mixed_locust.py"),
        "--headless", "--users", str(users), "--spawn-rate", str(max(1, users // 10)),
        "--run-time", f"{seconds}s", "--stop-timeout", "75", "--host", base,
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    locust_env = {
        **env,
        "MIXED_MEMBERS": str(work / "members.json"),
        "MIXED_WRITES": str(writes),
        "MIXED_TIMINGS": str(work / f"{name}-timings.tsv"),
        "MIXED_THINK": think,
    }
    out = (work / f"{name}-locust.log").open("ab")
    process = subprocess.Popen(
        command, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    return {"process": process, "prefix": prefix}, writes


def read_stats(prefix: Path) -> dict[str, dict]:
    rows = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": float(row["50%"] or 0),
                "p99": float(row["99%"] or 0),
                "max": float(row["Max Response Time"] or 0),
            }
    failures: dict[str, int] = {}
    with contextlib.suppress(FileNotFoundError), open(f"{prefix}_failures.csv") as handle:
        for row in csv.DictReader(handle):
            key = f"{row['Name']}: {row['Error']}"
            failures[key] = failures.get(key, 0) + int(row["Occurrences"])
    return {"endpoints": rows, "failures": failures}


def read_timings(path: Path) -> list[tuple[float, str, float, int]]:
    """locust's requests (bench/mixed_locust.py): start (epoch s), name, ms, status."""
    rows = []
    with contextlib.suppress(FileNotFoundError), open(path) as handle:
        for line in handle:
            start, name, ms, status = line.rstrip("\n").split("\t")
            rows.append((float(start), name, float(ms), int(status)))
    return rows


def stop_process(process: subprocess.Popen | None, grace: float = 15) -> None:
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


# --- the run --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--run-time", type=int, default=600, help="loaded phase (s)")
    parser.add_argument("--unloaded-time", type=int, default=60, help="unloaded phase (s)")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=20_000)
    parser.add_argument("--logs", type=int, default=20, help="seeded logs per member")
    parser.add_argument("--think", default="2,8", help="seconds between a member's actions")
    parser.add_argument(
        "--gunicorn-workers", type=int, default=4, help="sync workers (the Procfile's default)"
    )
    parser.add_argument("--workers", type=int, default=2, help="default-queue Celery workers")
    parser.add_argument("--bulk-workers", type=int, default=1, help="bulk-queue Celery workers")
    parser.add_argument("--concurrency", type=int, default=2, help="threads per Celery worker")
    parser.add_argument("--drain", type=int, default=900, help="bound on the drain phase (s)")
    parser.add_argument("--no-chaos", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timeout", type=int, default=2700, help="bound on the whole run (s)")
    args = parser.parse_args()

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum} (SIGALRM: --timeout {args.timeout}s)")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.timeout)
    load_start = loadavg()
    work = Path(tempfile.mkdtemp(prefix="kneadful-bench-mixed-"))
    stops: list = []
    workers: list[CeleryWorker] = []
    killed: list[CeleryWorker] = []
    procs: dict[str, subprocess.Popen | None] = {"gunicorn": None, "beat": None, "locust": None}
    sampler = Sampler()
    ctx = multiprocessing.get_context("spawn")
    control, sink_end = ctx.Pipe()
    sink = None
    sink_lock = threading.Lock()

    def ask(command: str):  # type: ignore[no-untyped-def]
        with sink_lock:
            control.send(command)
            return control.recv()

    try:
        database_url, stop_postgres = start_postgres()
        stops.append(stop_postgres)
        redis = RedisServer().start()
        stops.append(redis.close)
        sink_port = free_port()
        sink = ctx.Process(target=sink_main, args=(sink_port, sink_end), daemon=True)
        sink.start()
        assert control.recv() == "ready"
        wait_for_port(sink_port)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "bench.members_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": base,
            "ALLOWED_HOSTS": "127.0.0.1",
            "KNEADFUL_VAR_DIR": str(work / "var"),
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
        }
        os.environ.update(env, BENCH_SEEDING="1")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.db.models import Count, Max

        from accounts.models import User
        from bench.campaign import new_campaign
        from bench.campaign import seed as seed_subscribers
        from newsletters.models import Campaign, Delivery
        from reminders.models import ReminderOccurrence
        from routines.models import SessionLog

        log("migrating and collecting static files")
        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        members = max(args.reminders, 2 * args.users)
        log(f"seeding {members:,} members x {args.logs} logs")
        seeded = seed_members(members=members, logs_per_member=args.logs, rotate=args.users)
        simulated = seeded["readers"]
        credentials(readers=simulated, writers=[], probes=[])
        seed_subscribers(subscribers=args.recipients)
        connections.close_all()

        server_env = {k: v for k, v in os.environ.items() if k != "BENCH_SEEDING"}
        procs["gunicorn"] = start_gunicorn(port, args.gunicorn_workers, server_env)
        from routines.models import Series

        slugs = list(
            Series.objects.filter(status="published")
            .exclude(contraindications=[])
            .values_list("slug", flat=True)
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            confirmed = sum(
                pool.map(lambda m: acknowledge_safety(base, m.cookies, slugs), simulated)
            )
        log(f"{confirmed} safety confirmations through the series' safety pages")
        routines, others = playable_routines(base, simulated[0].cookies)
        if not routines:
            raise SystemExit(f"no routine's player page answers 200: {others}")
        (work / "members.json").write_text(
            json.dumps(
                [
                    {"email": m.email, "token": m.token, "cookies": m.cookies, "routines": routines}
                    for m in simulated
                ]
            )
        )
        log(f"{len(simulated)} simulated members signed in; {len(routines)} playable routines")

        worker_env = {**server_env, "DJANGO_SETTINGS_MODULE": "wellness.settings"}

        def start_worker(queues: str | None) -> CeleryWorker:
            worker = CeleryWorker(
                worker_env, concurrency=args.concurrency, pool="threads", queues=queues
            ).start()
            workers.append(worker)
            label = f"worker {len(workers) + len(killed)} ({queues or 'default'})"
            sampler.watch(label, worker.proc.pid)
            return worker

        for _ in range(args.workers):
            start_worker(None)
        for _ in range(args.bulk_workers):
            start_worker("bulk")
        beat_log = (work / "beat.log").open("ab")
        procs["beat"] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "wellness", "beat", "--loglevel=INFO",
             "--schedule", str(work / "beat-schedule")],
            cwd=ROOT, env=worker_env, stdout=beat_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        sampler.watch("gunicorn", procs["gunicorn"].pid)
        sampler.watch("beat", procs["beat"].pid)
        sampler.watch("sink", sink.pid)
        sampler.watch("redis", redis.proc.pid)
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW data_directory")
            sampler.postgres_pidfile = Path(cursor.fetchone()[0]) / "postmaster.pid"
        connections.close_all()
        sampler.probe = lambda: ask("counts")
        sampler.start()

        # --- unloaded ----------------------------------------------------------------------
        log(f"unloaded phase: one member, no pause, {args.unloaded_time}s")
        run, _ = run_locust(
            base=base, work=work, name="unloaded", users=1, seconds=args.unloaded_time,
            think="0", env=server_env,
        )  # fmt: skip
        procs["locust"] = run["process"]
        procs["locust"].wait(args.unloaded_time + 120)
        unloaded = read_stats(run["prefix"])

        # --- loaded ------------------------------------------------------------------------
        length = args.run_time
        started_wall = dt.datetime.now(dt.UTC)
        first_due = (started_wall + dt.timedelta(seconds=max(0.1 * length, 5))).replace(
            microsecond=0
        )
        reminder_users = list(
            User.objects.order_by("pk").values_list("pk", flat=True)[: args.reminders]
        )
        seed_schedules(user_ids=reminder_users, first_due=first_due)
        campaign = new_campaign("Mixed load")
        Campaign.objects.filter(pk=campaign.pk).update(
            send_at=started_wall + dt.timedelta(seconds=5)
        )
        connections.close_all()
        log(
            f"loaded phase: {args.users} members for {length}s; campaign {campaign.pk} to "
            f"{args.recipients:,} due in 5 s; {len(reminder_users):,} reminders due from "
            f"{first_due:%H:%M:%S} within a minute; load {loadavg()}"
        )
        run, writes_path = run_locust(
            base=base, work=work, name="loaded", users=args.users, seconds=length,
            think=args.think, env=server_env,
        )  # fmt: skip
        procs["locust"] = run["process"]
        sampler.watch("locust", procs["locust"].pid)
        loaded_at, loaded_wall = time.monotonic(), time.time()
        due_at = loaded_at + (first_due - started_wall).total_seconds()
        events: list[dict] = []
        kill_info: dict = {}

        def at(offset: float) -> None:
            while time.monotonic() < loaded_at + offset:
                time.sleep(0.2)

        def event(what: str, **detail: object) -> None:
            events.append({"t": round(time.monotonic() - loaded_at, 1), "what": what, **detail})
            log(f"chaos: {what} {detail if detail else ''}")

        resumes: list[str] = []

        def resume_if_paused(when: str) -> None:
            """What an editor does on the campaign's page: Resume (the same service)."""
            from newsletters.services import campaign_resume

            fresh = Campaign.objects.get(pk=campaign.pk)
            if fresh.status == "paused" and len(resumes) < 5:
                resumes.append(fresh.pause_reason)
                event(f"campaign paused itself; resumed as an editor would ({when})",
                      reason=fresh.pause_reason[:160])  # fmt: skip
                campaign_resume(campaign=fresh)
            connections.close_all()

        if not args.no_chaos:
            plan = sorted(
                [
                    ("kill", due_at - loaded_at),
                    ("redis", 0.45 * length),
                    ("postgres", 0.65 * length),
                    ("smtp", min(0.8 * length, max(length - 35, 0))),
                ],
                key=lambda item: item[1],
            )
            for what, offset in plan:
                at(offset)
                if what == "kill":
                    # Once the reminders are being sent (the dispatch ticks every minute).
                    latest = time.monotonic() + 150
                    while time.monotonic() < latest:
                        if ask("counts")["reminders"] >= 0.1 * len(reminder_users):
                            break
                        time.sleep(0.2)
                    victim = workers[0]
                    victim.kill()
                    killed_at, kill_clock = dt.datetime.now(dt.UTC), time.monotonic()
                    killed.append(victim)
                    workers.remove(victim)
                    kill_info = {
                        "t": round(kill_clock - loaded_at, 1),
                        "at_sink": ask("counts")["reminders"],
                        "sending_at_kill": ReminderOccurrence.objects.filter(
                            status="sending"
                        ).count(),
                        # threads: each may be between a 250 and its ledger write
                        "processes": args.concurrency,
                    }
                    connections.close_all()
                    event("SIGKILL default-queue worker", pid=victim.proc.pid,
                          reminders_at_sink=kill_info["at_sink"],
                          sending=kill_info["sending_at_kill"])  # fmt: skip
                    start_worker(None)
                    event("replacement worker ready")
                    # The dead worker's rows: still 'sending' 20 s later under a claim from
                    # before the kill (a living sender finishes a chunk in about a second,
                    # and renews its claim every 15 s while it sends).
                    while time.monotonic() < kill_clock + 20:
                        time.sleep(0.2)
                    kill_info["ids"] = list(
                        ReminderOccurrence.objects.filter(
                            status="sending", claimed_at__lte=killed_at
                        ).values_list("id", flat=True)
                    )
                    connections.close_all()
                    event("dead worker's rows identified", rows=len(kill_info["ids"]))
                elif what == "redis":
                    redis.stop()
                    event("Redis stopped")
                    time.sleep(2)
                    redis.start()
                    sampler.watch("redis", redis.proc.pid)
                    event("Redis started (same port, empty)")
                elif what == "postgres":
                    took = restart_postgres()
                    event("PostgreSQL restarted", seconds=round(took, 1))
                elif what == "smtp":
                    ask("outage")
                    event("SMTP sink answers 451")
                    time.sleep(30)
                    ask("restore")
                    event("SMTP sink accepts again")
                    time.sleep(5)
                    resume_if_paused("after the SMTP outage")
        procs["locust"].wait(length + 200)
        loaded = read_stats(run["prefix"])
        load_end = loadavg()
        log(f"loaded phase over; load {load_end}")

        # --- drain -------------------------------------------------------------------------
        drain_deadline = time.monotonic() + args.drain
        while time.monotonic() < drain_deadline:
            counts = ask("counts")
            pending = ReminderOccurrence.objects.filter(status__in=["queued", "sending"]).count()
            campaign.refresh_from_db()
            connections.close_all()
            resume_if_paused("while draining")
            if (
                counts["reminders"] >= len(reminder_users)
                and pending == 0
                and campaign.status == "sent"
            ):
                break
            log(
                f"drain: reminders {counts['reminders']:,}/{len(reminder_users):,} at the sink "
                f"({pending} pending), campaign {counts['campaign']:,}/{args.recipients:,} "
                f"({campaign.status})"
            )
            time.sleep(10)
        time.sleep(3)  # a second copy would arrive now
        drained_after = round(time.monotonic() - loaded_at - length, 1)
        report = ask("report")

        # --- what happened ------------------------------------------------------------------
        writes = [
            json.loads(line)
            for path in (work / "unloaded-writes.jsonl", writes_path)
            if path.exists()
            for line in path.read_text().splitlines()
            if line
        ]
        saved_notes = {w["note"] for w in writes if w["outcome"] in {"200", "201", "302"}}
        rows = dict(
            SessionLog.objects.filter(notes__startswith="mixed:")
            .values_list("notes")
            .annotate(n=Count("id"))
            .order_by()
        )
        outcomes: dict[str, int] = {}
        for w in writes:
            outcomes[f"{w['kind']} {w['outcome']}"] = (
                outcomes.get(f"{w['kind']} {w['outcome']}", 0) + 1
            )
        logs_report = {
            "writes": len(writes),
            "outcomes": outcomes,
            "retried": sum(1 for w in writes if w["attempts"] > 1),
            "told_saved": len(saved_notes),
            "rows": sum(rows.values()),
            "lost": len(saved_notes - set(rows)),
            "duplicated": sum(n - 1 for n in rows.values() if n > 1),
            "saved_but_client_not_told": len(set(rows) - saved_notes),
        }

        ledger = {
            row["status"]: row["n"]
            for row in ReminderOccurrence.objects.values("status")
            .annotate(n=Count("id"))
            .order_by()
        }
        due_by_id = {
            str(pk): due for pk, due in ReminderOccurrence.objects.values_list("id", "due_at")
        }
        sink_reminders = report["reminders"]
        late = sorted(
            first - due_by_id[pk].timestamp() for pk, (first, _) in sink_reminders.items()
            if pk in due_by_id
        )  # fmt: skip
        killed_ids = {str(pk) for pk in kill_info.get("ids", [])}
        killed_late = sorted(
            sink_reminders[pk][0] - due_by_id[pk].timestamp()
            for pk in killed_ids if pk in sink_reminders
        )  # fmt: skip
        reminder_report = {
            "schedules": len(reminder_users),
            "expected_sends": len(reminder_users),  # all allowed, none skip if practised
            "ledger_rows": sum(ledger.values()),
            "ledger": ledger,
            "sink_distinct": len(sink_reminders),
            "sink_duplicates": sum(copies - 1 for _, copies in sink_reminders.values()),
            "duplicated_ids": sorted(pk for pk, (_, c) in sink_reminders.items() if c > 1),
            "late_p50_s": statistics.median(late) if late else None,
            "late_p99_s": late[int(0.99 * (len(late) - 1))] if late else None,
            "late_max_s": late[-1] if late else None,
            "over_5_min": sum(1 for x in late if x > CRASH_BOUND_S),
            "killed_worker_rows": len(killed_ids),
            "killed_rows_at_sink": len(killed_late),
            "killed_rows_late_max_s": killed_late[-1] if killed_late else None,
            "last_sent_at": str(ReminderOccurrence.objects.aggregate(m=Max("sent_at"))["m"]),
        }
        campaign.refresh_from_db()
        deliveries = dict(
            Delivery.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("pk")).order_by()
        )  # fmt: skip
        at_sink = report["campaigns"].get(str(campaign.pk), {})
        campaign_report = {
            "recipients": args.recipients,
            "status": campaign.status,
            "sent_count": campaign.sent_count,
            "deliveries": deliveries,
            "sink": at_sink,
        }
        connections.close_all()
        rss = sampler.summary(after=loaded_at + 0.2 * length)

        table = []
        for name in ENDPOINTS:
            before = unloaded["endpoints"].get(name, {})
            after = loaded["endpoints"].get(name, {})
            retried = loaded["endpoints"].get(f"{name} [retry]", {})
            ratio = after.get("p99", 0) / before["p99"] if before.get("p99") else None
            table.append({
                "endpoint": name, "unloaded": before, "loaded": after, "retries": retried,
                "p99_ratio": ratio, "met": ratio is not None and ratio <= P99_LIMIT,
            })  # fmt: skip
        limits = {row["endpoint"]: P99_LIMIT * row["unloaded"].get("p99", 0) for row in table}
        timeline = latency_over_time(
            read_timings(work / "loaded-timings.tsv"), start=loaded_wall, limits=limits,
            events=events,
        )  # fmt: skip
        windows = timeline[-1]["from_s"] // WINDOW_S + 1 if timeline else 0
        usage = sampler.by_window(loaded_at, WINDOW_S, windows)
        for row in timeline:
            row.update(usage[row["from_s"] // WINDOW_S])
        unexpected = {k: v for k, v in loaded["failures"].items() if "unexpected" in k}
        clear = {k: v for k, v in loaded["failures"].items() if "clear error" in k}
        results = {
            "conditions": {
                "users": args.users,
                "run_time_s": length,
                "unloaded_time_s": args.unloaded_time,
                "recipients": args.recipients,
                "reminders": len(reminder_users),
                "members_seeded": members,
                "logs_per_member": args.logs,
                "think_s": args.think,
                "gunicorn": f"sync x{args.gunicorn_workers}",
                "celery": (
                    f"{args.workers} default + {args.bulk_workers} bulk, "
                    f"threads x{args.concurrency}"
                ),
                "chaos": not args.no_chaos,
                "loadavg_start": load_start,
                "loadavg_end_of_load": load_end,
                "loadavg_end": loadavg(),
                "cpus": os.cpu_count(),
                "finished_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            },
            "endpoints": table,
            "errors": {"unexpected": unexpected, "clear_then_retried": clear},
            "logs": logs_report,
            "reminders": reminder_report,
            "campaign": {**campaign_report, "editor_resumes": resumes},
            "sink": {"refused_451": report["refused"], "other": report["other"]},
            "chaos": events,
            "timeline": timeline,
            "killed_worker": {k: v for k, v in kill_info.items() if k != "ids"},
            "drained_after_s": drained_after,
            "rss": rss,
        }
        print_report(results)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
            log(f"wrote {args.json}")
        return 0
    finally:
        signal.alarm(0)
        sampler.stopped.set()
        stop_process(procs["locust"])
        stop_gunicorn(procs["gunicorn"])
        stop_process(procs["beat"])
        for worker in workers + killed:
            worker.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if sink is not None:
            with contextlib.suppress(Exception):
                ask("stop")
            sink.terminate()
        for stop_service in reversed(stops):
            with contextlib.suppress(Exception):
                stop_service()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
