"""Members benchmark: library, dashboard, me/stats and POST sessions against Django's ceiling.

    .venv/bin/python bench/members.py [--members 1000] [--logs 500] [--duration 10]

Starts a throwaway PostgreSQL (tests/servers.py), migrates, seeds members x logs with
COPY and rebuilds the activity aggregates, starts gunicorn (sync x2, DEBUG=false,
persistent connections) on 127.0.0.1 with ``bench.members_settings`` (the product's
settings plus ``/bench/ceiling``, a constant JSON answer), then runs wrk against each
endpoint, rotating over 50 members' credentials. Prints requests/s, p50, p99 and the
ratio to the ceiling measured in the same run. Everything started is stopped at exit.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, start_postgres, start_redis, wait_for_port  # noqa: E402

LUA = ROOT / "bench" / "lua"
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
ROTATE = 50
TARGETS = {
    "dashboard page": 0.4,
    "GET /api/v1/me/stats/": 0.4,
    "POST /api/v1/sessions/": 0.25,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- seeding -------------------------------------------------------------------------------


def seed(*, members: int, logs_per_member: int) -> dict[str, object]:
    """Members with tokens and sessions, ``logs_per_member`` logs each over ~14 months."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import api_token_create
    from routines.models import Routine, SessionLog
    from routines.services import member_activity_rebuild

    call_command("load_starter_content", verbosity=0)
    routines = list(
        Routine.objects.filter(series__status="published")
        .annotate(n=Count("steps"))
        .order_by("pk")
        .values_list("pk", "n")
    )
    password = make_password("bench-password")
    users = User.objects.bulk_create(
        [
            User(
                email=f"bench{n}@example.com",
                password=password,
                display_name=f"Bench {n}",
                timezone=ZONES[n % len(ZONES)],
            )
            for n in range(members)
        ],
        batch_size=1000,
    )
    rng = random.Random(20261124)  # the same data every run
    now = timezone.now().replace(microsecond=0)
    columns = (
        "user_id, client_id, routine_id, started_at, ended_at, duration_seconds, "
        "steps_completed, steps_total, sides, tension_before, tension_after, tension_map, "
        "rating, notes, local_date, timezone, source, created_at, updated_at"
    )
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {SessionLog._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for user in users:
            zone = ZoneInfo(user.timezone)
            for index in range(logs_per_member):
                # ~1.2 logs a day over 420 days, with natural gaps; newest first.
                minutes_ago = index * 420 * 24 * 60 // logs_per_member + rng.randint(30, 600)
                start = now - dt.timedelta(minutes=minutes_ago)
                seconds = rng.randint(300, 1500)
                routine_id, steps = routines[rng.randrange(len(routines))]
                before = rng.randint(3, 9)
                copy.write_row(
                    (
                        user.pk,
                        uuid.uuid4(),
                        routine_id,
                        start,
                        start + dt.timedelta(seconds=seconds),
                        seconds,
                        steps,
                        steps,
                        "",
                        before,
                        max(0, before - rng.randint(0, 4)),
                        "{}",
                        rng.randint(3, 5),
                        "",
                        start.astimezone(zone).date(),
                        user.timezone,
                        "player",
                        start,
                        start,
                    )
                )
    log(f"copied {members * logs_per_member} logs in {time.monotonic() - started:.0f}s")
    started = time.monotonic()
    days = member_activity_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Write the seeded pages out now, not during the measurements (the checkpointer
        # would otherwise spread that work over the next minutes).
        cursor.execute("CHECKPOINT")
    log(f"rebuilt {days} day aggregates in {time.monotonic() - started:.0f}s")

    chosen = users[:: max(1, members // ROTATE)][:ROTATE]
    tokens = [api_token_create(user=u, name="Benchmark")[1] for u in chosen]
    cookies = []
    for user in chosen:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    return {
        "tokens": tokens,
        "cookies": cookies,
        "routine_id": routines[0][0],
        "now": now,
    }


# --- measuring -------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


class CpuMeter:
    """CPU seconds used by gunicorn (master and workers), PostgreSQL (all backends) and Redis.

    Throughput on a machine shared with other programs swings with their load; the CPU
    the server side spends per request does not, so its ratio to the ceiling's is a
    steadier view of the same question.
    """

    def __init__(self, gunicorn_pid: int, *service_ports: int) -> None:
        import psutil

        self.psutil = psutil
        self.roots = [psutil.Process(gunicorn_pid)]
        for conn in psutil.net_connections(kind="tcp"):
            listening = conn.status == "LISTEN" and conn.laddr.port in service_ports
            if listening and conn.pid and all(root.pid != conn.pid for root in self.roots):
                self.roots.append(psutil.Process(conn.pid))

    def seconds(self) -> float:
        total = 0.0
        for root in self.roots:
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(self.psutil.Error):
                    times = proc.cpu_times()
                    total += times.user + times.system
        return total


def run_wrk(
    url: str, *, script: str | None, env: dict[str, str], duration: int, threads: int, conns: int
) -> dict[str, float]:
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(LUA / script)]
    result = subprocess.run(
        [*cmd, url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )
    return parse_wrk(result.stdout)


def check(url: str, headers: dict[str, str], *, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, headers=headers, data=data)  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--logs", type=int, default=500, help="logs per member")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="ceiling/endpoint pairs per endpoint")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--no-health-checks",
        action="store_true",
        help="turn off CONN_HEALTH_CHECKS (the product's setting is on)",
    )
    parser.add_argument(
        "--serve",
        type=int,
        default=0,
        metavar="SECONDS",
        help="only seed and serve for this long (for profiling by hand), no wrk",
    )
    args = parser.parse_args()

    # SIGTERM (e.g. from timeout) still stops gunicorn and PostgreSQL in the finally block.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="kneadful-bench-members-"))
    database_url, stop_postgres = start_postgres()
    redis_url, stop_redis = start_redis()
    gunicorn: subprocess.Popen | None = None
    try:
        port = free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.members_settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "KNEADFUL_VAR_DIR": str(work / "var"),
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
            "BENCH_CONN_HEALTH_CHECKS": "false" if args.no_health_checks else "true",
            # As in production: Redis for the cache, the sessions' cache and the broker.
            "REDIS_URL": redis_url,
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        log("migrating and collecting static files")
        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        log(f"seeding {args.members} members x {args.logs} logs")
        seeded = seed(members=args.members, logs_per_member=args.logs)
        from django.db import connections

        connections.close_all()

        tokens_file = work / "tokens.txt"
        tokens_file.write_text("".join(f"Authorization: Token {t}\n" for t in seeded["tokens"]))
        cookies_file = work / "cookies.txt"
        # As a returning browser sends them: the session and the CSRF cookie it was given.
        cookies_file.write_text(
            "".join(
                f"Cookie: sessionid={c}; csrftoken={secrets.token_hex(16)}\n"
                for c in seeded["cookies"]
            )
        )

        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "wellness.wsgi:application",
                "--workers",
                str(args.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ},
            start_new_session=True,
        )
        wait_for_port(port, timeout=60)
        base = f"http://127.0.0.1:{port}"
        token_header = {"Authorization": f"Token {seeded['tokens'][0]}"}
        cookie_header = {"Cookie": f"sessionid={seeded['cookies'][0]}"}
        started_at = seeded["now"] - dt.timedelta(minutes=40)
        post_env = {
            "CREDENTIALS_FILE": str(tokens_file),
            "STARTED_AT": started_at.isoformat(),
            "ENDED_AT": (started_at + dt.timedelta(minutes=12)).isoformat(),
            "ROUTINE_ID": str(seeded["routine_id"]),
        }
        body = (
            f'{{"routine": {seeded["routine_id"]}, "started_at": "{post_env["STARTED_AT"]}", '
            f'"ended_at": "{post_env["ENDED_AT"]}"}}'
        ).encode()
        assert check(f"{base}/bench/ceiling", {}) == 200
        assert check(f"{base}/library/", {}) == 200
        assert check(f"{base}/dashboard/", cookie_header) == 200
        assert check(f"{base}/api/v1/me/stats/", token_header) == 200
        assert (
            check(
                f"{base}/api/v1/sessions/",
                {**token_header, "Content-Type": "application/json"},
                data=body,
            )
            == 201
        )

        if args.serve:
            (work / "env.json").write_text(json.dumps(env))
            log(
                f"serving {base} for {args.serve}s; token {seeded['tokens'][0]}, "
                f"session {seeded['cookies'][0]}, credentials in {work}"
            )
            time.sleep(args.serve)
            return 0
        cookies_env = {"CREDENTIALS_FILE": str(cookies_file)}
        tokens_env = {"CREDENTIALS_FILE": str(tokens_file)}
        cases = [
            ("ceiling (constant JSON)", "/bench/ceiling", None, {}),
            ("library page", "/library/", None, {}),
            ("dashboard page", "/dashboard/", "members_get.lua", cookies_env),
            ("GET /api/v1/me/stats/", "/api/v1/me/stats/", "members_get.lua", tokens_env),
            ("POST /api/v1/sessions/", "/api/v1/sessions/", "members_post_session.lua", post_env),
        ]  # fmt: skip

        meter = CpuMeter(
            gunicorn.pid,
            int(database_url.rsplit(":", 1)[1].split("/")[0]),
            int(redis_url.rsplit(":", 1)[1].split("/")[0]),
        )

        def measure(path: str, script: str | None, extra: dict[str, str]) -> dict:
            before = meter.seconds()
            result = run_wrk(
                base + path,
                script=script,
                env=extra,
                duration=args.duration,
                threads=args.threads,
                conns=args.connections,
            )
            used = meter.seconds() - before
            result["cpu_ms"] = 1000 * used / result["requests"] if result["requests"] else 0.0
            return result

        # Other programs share this machine, so the ceiling drifts: each endpoint is
        # measured in rounds right after a ceiling measurement, and the ratio of each
        # pair is taken; the table shows medians over the rounds.
        ceiling_path = cases[0][1]
        rows = []
        for name, path, script, extra in cases[1:]:
            run_wrk(  # warm-up: worker imports, connections, each member's first stats
                base + path,
                script=script,
                env=extra,
                duration=2,
                threads=args.threads,
                conns=args.connections,
            )
            log(f"measuring {name} ({args.rounds} rounds against the ceiling)")
            pairs = []
            for _ in range(args.rounds):
                ceiling_run = measure(ceiling_path, None, {})
                pairs.append((ceiling_run, measure(path, script, extra)))
            rows.append((name, pairs))
        print()
        print(
            f"Members benchmark: {args.members} members x {args.logs} logs, gunicorn sync "
            f"x{args.workers}, wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
            f"x {args.rounds} rounds, {os.cpu_count()} CPUs, CONN_HEALTH_CHECKS "
            f"{'off' if args.no_health_checks else 'on'}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        )
        print()
        print(
            "| endpoint | requests/s | p50 ms | p99 ms | ceiling requests/s | ratio (median) "
            "| ratios per round | server CPU ms/request (ceiling) | CPU ratio | target | non-2xx |"
        )
        print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        missed = []
        for name, pairs in rows:
            ratios = [run["rps"] / ceil["rps"] if ceil["rps"] else 0.0 for ceil, run in pairs]
            ratio = statistics.median(ratios)
            runs = [run for _, run in pairs]
            cpu = statistics.median(r["cpu_ms"] for r in runs)
            ceiling_cpu = statistics.median(c["cpu_ms"] for c, _ in pairs)
            cpu_ratio = ceiling_cpu / cpu if cpu else 0.0
            target = TARGETS.get(name)
            if target and ratio < target:
                missed.append(name)
            print(
                f"| {name} | {statistics.median(r['rps'] for r in runs):,.0f} "
                f"| {statistics.median(r['p50'] for r in runs):.2f} "
                f"| {statistics.median(r['p99'] for r in runs):.2f} "
                f"| {statistics.median(c['rps'] for c, _ in pairs):,.0f} | {ratio:.2f} "
                f"| {' / '.join(f'{x:.2f}' for x in ratios)} "
                f"| {cpu:.2f} ({ceiling_cpu:.2f}) | {cpu_ratio:.2f} "
                f"| {f'>= {target}' if target else ''} | {sum(r['non2xx'] for r in runs)} |"
            )
            for r in runs:
                if r["socket_errors"]:
                    print(f"<!-- {name}: {r['socket_errors']} -->")
        print()
        print("targets missed: " + (", ".join(missed) if missed else "none"))
        return 0
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                gunicorn.wait(15)
            if gunicorn.poll() is None:
                os.killpg(gunicorn.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        stop_postgres()
        stop_redis()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
