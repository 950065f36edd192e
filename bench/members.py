"""Members benchmark: the product's member endpoints against framework floors, same run.

    .venv/bin/python bench/members.py [--members 1000] [--logs 500] [--duration 5]
                                      [--rounds 3] [--json PATH] [--timeout 1800]

Starts a throwaway PostgreSQL and Redis (tests/servers.py) on 127.0.0.1, migrates,
seeds ``--members`` members x ``--logs`` logs with COPY (plus two probe members with 10
and 2,000 logs) and rebuilds the aggregates with ``member_activity_rebuild``. Then, in
this process (settings ``bench.members_settings`` with ``BENCH_SEEDING=1``, which turns
allauth's rate limits and DRF's throttles off for this process only): 50 readers sign in
through allauth's login form, readers and 50 other members (writers) get API tokens from
``POST /api/v1/auth/token/``, and the queries of each product endpoint are counted for
the two probe members (first and repeat request).

Gunicorn (sync x2, DEBUG=false, CONN_MAX_AGE=600, Redis as cache and broker) then serves
``bench.members_settings`` and wrk (rotating over the readers' cookies or tokens, or the
writers' tokens) measures, in ``--rounds`` interleaved rounds (each round measures
everything once, every other round in reverse order):

* the ceiling ``GET /bench/ceiling``: a constant JSON answer;
* the page floor ``GET /bench/floor/page``: ``login_required``, a template that only
  extends ``base.html``, signed in with the member's session cookie;
* the API floor ``GET /bench/floor/api``: a DRF ``APIView`` with the project's default
  authentication and permissions (token), constant JSON;
* the write floor ``POST /bench/floor/write``: the same, plus one ORM ``create()`` into
  the bench's own table (``bench.models.FloorWrite``, created here);
* dashboard and library (page floor), ``GET /api/v1/me/stats/`` (API floor) and
  ``POST /api/v1/sessions/`` with a fresh ``client_id`` per request (write floor).

Medians over the rounds; each ratio is taken within a round. Targets: dashboard >= 0.6,
library >= 0.5, me/stats >= 0.7, POST sessions >= 0.4 of their floor, and each p99 at
most twice its floor's. Prints a table, writes it as JSON to ``--json``. Everything
started is stopped at exit (also on Ctrl-C, SIGTERM and ``--timeout``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.members_seed import credentials, log, query_counts, seed, session_body  # noqa: E402
from bench.wrk import ensure_wrk, run_wrk  # noqa: E402
from tests.servers import free_port, start_postgres, start_redis, wait_for_port  # noqa: E402

ROTATE = 50
P99_LIMIT = 2.0


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    creds: str | None = None  # "readers" (cookies), "tokens" (readers), "writers" (tokens)
    floor: str | None = None
    target: float | None = None

    @property
    def script(self) -> str | None:
        if self.creds is None:
            return None
        return "members_post_session.lua" if self.method == "POST" else "members_get.lua"


CASES = [
    Case("ceiling", "GET", "/bench/ceiling"),
    Case("page floor", "GET", "/bench/floor/page", "readers"),
    Case("dashboard", "GET", "/dashboard/", "readers", "page floor", 0.6),
    Case("library", "GET", "/library/", "readers", "page floor", 0.5),
    Case("API floor", "GET", "/bench/floor/api", "tokens"),
    Case("me/stats", "GET", "/api/v1/me/stats/", "tokens", "API floor", 0.7),
    Case("write floor", "POST", "/bench/floor/write", "writers"),
    Case("POST sessions", "POST", "/api/v1/sessions/", "writers", "write floor", 0.4),
]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect (e.g. to the login page) is an answer, not a success


def status(url: str, headers: dict[str, str], data: bytes | None = None) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers, data=data)  # noqa: S310 (loopback)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def summarise(rounds: list[dict[str, dict]]) -> list[dict[str, object]]:
    rows = []
    for case in CASES:
        runs = [r[case.name] for r in rounds]

        def ratios(other: str, key: str, runs: list[dict] = runs) -> list[float]:
            return [
                run[key] / r[other][key] if r[other][key] else 0.0
                for run, r in zip(runs, rounds, strict=True)
            ]

        row: dict[str, object] = {
            "name": case.name,
            "request": f"{case.method} {case.path}",
            "rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50"] for r in runs),
            "p99_ms": statistics.median(r["p99"] for r in runs),
            "to_ceiling": statistics.median(ratios("ceiling", "rps")),
            "floor": case.floor,
            "target": case.target,
            "non2xx": sum(r["non2xx"] for r in runs),
            "socket_errors": [r["socket_errors"] for r in runs if r["socket_errors"]],
            "rounds": runs,
        }
        if case.floor:
            per_round = ratios(case.floor, "rps")
            p99 = statistics.median(ratios(case.floor, "p99"))
            row.update(to_floor=statistics.median(per_round), to_floor_per_round=per_round)
            row.update(p99_to_floor=p99)
            row["met"] = row["to_floor"] >= case.target and p99 <= P99_LIMIT
        rows.append(row)
    return rows


def print_report(rows: list[dict], counts: dict[str, dict], heading: str) -> None:
    print(f"\n{heading}\n")
    print(
        "| what | request | requests/s | p50 ms | p99 ms | ratio to floor (per round) "
        "| p99 / floor p99 | ratio to ceiling | target | met | non-2xx |"
    )
    print("|---|---|---:|---:|---:|---|---:|---:|---|---|---:|")
    for row in rows:
        floor = target = met = p99 = ""
        if row["floor"]:
            rounds = " / ".join(f"{x:.2f}" for x in row["to_floor_per_round"])
            floor = f"{row['to_floor']:.2f} of {row['floor']} ({rounds})"
            p99 = f"{row['p99_to_floor']:.2f}"
            target = f">= {row['target']}, p99 <= {P99_LIMIT:g}x"
            met = "yes" if row["met"] else "**no**"
        print(
            f"| {row['name']} | `{row['request']}` | {row['rps']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {floor} | {p99} | {row['to_ceiling']:.2f} | {target} "
            f"| {met} | {row['non2xx']} |"
        )
    probes = list(next(iter(counts.values())))[:-1]
    print("\nQueries per request (first / repeat), counted in process before the load:\n")
    print(f"| endpoint | {' | '.join(probes)} | constant |\n|---|{'---:|' * len(probes)}---|")
    for name, row in counts.items():
        cells = " | ".join(f"{row[p]['first']} / {row[p]['repeat']}" for p in probes)
        print(f"| {name} | {cells} | {'yes' if row['constant'] else '**no**'} |")
    missed = [r["name"] for r in rows if r.get("met") is False]
    missed += [f"{n} queries" for n, r in counts.items() if not r["constant"]]
    print("\ntargets missed: " + (", ".join(missed) if missed else "none"))


def start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "wellness.wsgi:application",
         "--workers", str(workers), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    wait_for_port(port, timeout=60)
    return process


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--logs", type=int, default=500, help="logs per member")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--timeout", type=int, default=1800, help="bound on the whole run (s)")
    parser.add_argument(
        "--serve", type=int, default=0, metavar="SECONDS",
        help="only seed and serve for this long (for profiling by hand), no wrk",
    )  # fmt: skip
    args = parser.parse_args()
    if args.members < 2 or args.rounds < 1:
        parser.error("--members must be >= 2 and --rounds >= 1")

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum} (SIGALRM: --timeout {args.timeout}s)")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.timeout)
    if not args.serve:
        ensure_wrk()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="kneadful-bench-members-"))
    stops: list = []
    gunicorn: subprocess.Popen | None = None
    try:
        database_url, stop_postgres = start_postgres()
        stops.append(stop_postgres)
        redis_url, stop_redis = start_redis()
        stops.append(stop_redis)
        port = free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.members_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,  # the cache, the sessions' cache and the broker
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "KNEADFUL_VAR_DIR": str(work / "var"),
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
        }
        os.environ.update(env, BENCH_SEEDING="1")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        from bench.models import FloorWrite

        log("migrating and collecting static files")
        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        with connection.schema_editor() as editor:
            editor.create_model(FloorWrite)
        log(f"seeding {args.members} members x {args.logs} logs")
        seeded = seed(members=args.members, logs_per_member=args.logs, rotate=ROTATE)
        readers, writers, probes = seeded["readers"], seeded["writers"], seeded["probes"]
        log(f"signing in {len(readers)} readers, tokens for them and {len(writers)} writers")
        credentials(readers=readers, writers=writers, probes=probes)
        started_at = seeded["now"] - dt.timedelta(minutes=40)
        counts = query_counts(
            warm=readers[0], probes=probes, routine_id=seeded["routine_id"], started_at=started_at
        )
        connections.close_all()

        files = {
            "readers": [
                "Cookie: " + "; ".join(f"{k}={v}" for k, v in m.cookies.items()) for m in readers
            ],
            "tokens": [f"Authorization: Token {m.token}" for m in readers],
            "writers": [f"Authorization: Token {m.token}" for m in writers],
        }
        for name, lines in files.items():
            (work / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines))
        post_env = {
            "STARTED_AT": started_at.isoformat(),
            "ENDED_AT": (started_at + dt.timedelta(minutes=12)).isoformat(),
            "ROUTINE_ID": str(seeded["routine_id"]),
        }
        server_env = {k: v for k, v in os.environ.items() if k != "BENCH_SEEDING"}
        gunicorn = start_gunicorn(port, args.workers, server_env)
        base = f"http://127.0.0.1:{port}"

        # Every credential works, and every request answers 2xx, not a redirect to login.
        def header(line: str) -> dict[str, str]:
            name, value = line.split(": ", 1)
            return {name: value}

        for case in CASES:
            for line in files[case.creds] if case.creds else [""]:
                data = None
                if case.method == "POST":
                    body = session_body(routine_id=seeded["routine_id"], started_at=started_at)
                    data = json.dumps(body).encode()
                headers = {**(header(line) if line else {}), "Content-Type": "application/json"}
                answer = status(base + case.path, headers, data)
                if answer not in (200, 201):
                    raise SystemExit(f"{case.method} {case.path} answered {answer} ({line[:30]})")
        log("every credential answers 2xx on every endpoint")

        if args.serve:
            (work / "env.json").write_text(json.dumps(server_env))
            log(f"serving {base} for {args.serve}s; credentials and env in {work}")
            signal.alarm(args.serve + 60)
            time.sleep(args.serve)
            return 0

        def measure(case: Case, duration: int) -> dict:
            extra = {"CREDENTIALS_FILE": str(work / f"{case.creds}.txt"), **post_env}
            return run_wrk(
                base + case.path,
                script=case.script,
                env=extra if case.creds else {},
                duration=duration,
                threads=args.threads,
                connections=args.connections,
            )

        log("warming up (2 s each): worker imports, connections, each member's caches")
        for case in CASES:
            measure(case, 2)
        rounds = []
        for number in range(args.rounds):
            log(f"round {number + 1} of {args.rounds}")
            order = CASES if number % 2 == 0 else CASES[::-1]
            rounds.append({case.name: measure(case, args.duration) for case in order})
        load_after = os.getloadavg()
        rows = summarise(rounds)
        conditions = {
            "members": args.members,
            "logs_per_member": args.logs,
            "rotation": {"readers": len(readers), "writers": len(writers)},
            "gunicorn": f"sync x{args.workers}",
            "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "finished_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
        heading = (
            f"Members benchmark: {args.members} members x {args.logs} logs, gunicorn sync "
            f"x{args.workers}, wrk {conditions['wrk']} x {args.rounds} rounds, "
            f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / "
            f"{load_after[0]:.2f} after, {conditions['finished_utc']}"
        )
        print_report(rows, counts, heading)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            results = {"conditions": conditions, "rows": rows, "query_counts": counts}
            args.json.write_text(json.dumps(results, indent=2) + "\n")
            log(f"wrote {args.json}")
        return 0
    finally:
        signal.alarm(0)
        stop_gunicorn(gunicorn)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        for stop_service in reversed(stops):
            stop_service()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
