"""Seeding, credentials and query counts for bench/members.py (run in its own process).

Everything here goes through the product's public surface where one exists: members sign
in through allauth's login form (with CSRF) and get their API tokens from
``POST /api/v1/auth/token/``, both with Django's test client, in process.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from django.test import Client

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
PASSWORD = "bench-password"  # a throwaway database
HOST = "127.0.0.1"
PROBE_LOGS = (10, 2000)  # the two members whose queries are counted


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Member:
    email: str
    logs: int
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)


def seed(*, members: int, logs_per_member: int, rotate: int) -> dict[str, object]:
    """``members`` members with ``logs_per_member`` logs each over ~14 months, and one
    member per ``PROBE_LOGS`` count, all verified; logs written with COPY, then the
    aggregates rebuilt with the product's own service."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import User
    from routines.models import Routine, SessionLog
    from routines.services import member_activity_rebuild

    call_command("load_starter_content", verbosity=0)
    routines = list(
        Routine.objects.filter(series__status="published")
        .annotate(n=Count("steps"))
        .order_by("pk")
        .values_list("pk", "n")
    )
    password = make_password(PASSWORD)
    counts = [logs_per_member] * members + list(PROBE_LOGS)
    emails = [f"bench{n}@example.com" for n in range(members)]
    emails += [f"probe{n}@example.com" for n in PROBE_LOGS]
    users = User.objects.bulk_create(
        [
            User(email=email, password=password, display_name=email.split("@")[0],
                 timezone=ZONES[n % len(ZONES)])
            for n, email in enumerate(emails)
        ],
        batch_size=1000,
    )  # fmt: skip
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
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
        for user, count in zip(users, counts, strict=True):
            zone = ZoneInfo(user.timezone)
            for index in range(count):
                # ~1.2 logs a day over 420 days (for 500), with natural gaps; newest first.
                minutes_ago = index * 420 * 24 * 60 // count + rng.randint(30, 600)
                start = now - dt.timedelta(minutes=minutes_ago)
                seconds = rng.randint(300, 1500)
                routine_id, steps = routines[rng.randrange(len(routines))]
                before = rng.randint(3, 9)
                after = max(0, before - rng.randint(0, 4))
                local = start.astimezone(zone).date()
                ended = start + dt.timedelta(seconds=seconds)
                copy.write_row(
                    (user.pk, uuid.uuid4(), routine_id, start, ended, seconds, steps, steps, "",
                     before, after, "{}", rng.randint(3, 5), "", local, user.timezone, "player",
                     start, start)
                )  # fmt: skip
    log(f"copied {sum(counts)} logs in {time.monotonic() - started:.0f}s")
    started = time.monotonic()
    days = member_activity_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Write the seeded pages out now, not during the measurements.
        cursor.execute("CHECKPOINT")
    log(f"rebuilt {days} day aggregates in {time.monotonic() - started:.0f}s")

    # Readers (pages, GET API) and writers (POSTs) are different members, so a read is
    # a repeat visit: no write of the same run has changed that member's figures.
    step = max(1, members // (2 * rotate))
    chosen = [Member(email=u.email, logs=logs_per_member) for u in users[:members:step]]
    chosen = chosen[: 2 * rotate]
    probes = zip(emails[members:], PROBE_LOGS, strict=True)
    return {
        "readers": chosen[0::2],
        "writers": chosen[1::2],
        "probes": [Member(email=email, logs=count) for email, count in probes],
        "routine_id": routines[0][0],
        "now": now,
    }  # fmt: skip


def _client(**kwargs: object) -> Client:
    from django.test import Client

    return Client(SERVER_NAME=HOST, **kwargs)


def sign_in(member: Member) -> None:
    """Log in through allauth's form, as a browser does: GET the form, POST it with its
    CSRF token; keep the session and CSRF cookies the answer sets."""
    from django.conf import settings

    client = _client(enforce_csrf_checks=True)
    form = client.get("/accounts/login/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if csrf is None:
        raise SystemExit("no CSRF token in the login form")
    data = {"login": member.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf.group(1)}
    answer = client.post("/accounts/login/", data)
    if answer.status_code != 302 or settings.SESSION_COOKIE_NAME not in client.cookies:
        raise SystemExit(f"login of {member.email} failed: {answer.status_code}")
    member.cookies = {name: morsel.value for name, morsel in client.cookies.items()}


def get_token(member: Member) -> None:
    answer = _client().post(
        "/api/v1/auth/token/",
        {"email": member.email, "password": PASSWORD},
        content_type="application/json",
    )
    if answer.status_code != 201:  # a new named token each time
        raise SystemExit(
            f"POST /api/v1/auth/token/ for {member.email}: {answer.status_code} "
            f"{answer.content[:300]!r} (a 429 means a throttle that BENCH_SEEDING does not lift)"
        )
    member.token = answer.json()["token"]


def credentials(*, readers: list[Member], writers: list[Member], probes: list[Member]) -> None:
    """Sessions for readers and probes, tokens for everyone: two at a time, since each
    one checks a password (~0.4 s of CPU, outside the GIL)."""
    from django.db import connections

    def run(job: tuple) -> None:
        try:
            job[0](job[1])
        finally:
            connections.close_all()  # this thread's connections

    jobs = [(sign_in, m) for m in readers + probes]
    jobs += [(get_token, m) for m in readers + writers + probes]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, jobs))
    log(f"{len(jobs)} sign-ins and tokens in {time.monotonic() - started:.0f}s")  # fmt: skip


def session_body(*, routine_id: int, started_at: dt.datetime) -> dict[str, object]:
    """``POST /api/v1/sessions/``'s body, as ``lua/members_post_session.lua`` sends it."""
    return {
        "client_id": str(uuid.uuid4()),
        "routine": routine_id,
        "started_at": started_at.isoformat(),
        "ended_at": (started_at + dt.timedelta(minutes=12)).isoformat(),
        "tension_before": 6,
        "tension_after": 3,
        "rating": 4,
        "sides": "both",
    }


def query_counts(
    *, warm: Member, probes: list[Member], routine_id: int, started_at: dt.datetime
) -> dict[str, dict[str, object]]:
    """Queries of each product endpoint, first and repeat request, per probe member.

    ``warm`` goes through every endpoint first, so what this process loads once (content
    types, cached routine facts) is not counted against the first probe."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def request(member: Member, method: str, path: str) -> int:
        client, headers = _client(), {}
        if path.startswith("/api/"):
            headers = {"Authorization": f"Token {member.token}"}
        else:  # a signed-in browser: its session and CSRF cookies
            for name, value in member.cookies.items():
                client.cookies[name] = value
        with CaptureQueriesContext(connection) as queries:
            if method == "post":
                body = session_body(routine_id=routine_id, started_at=started_at)
                answer = client.post(path, body, content_type="application/json", headers=headers)
            else:
                answer = client.get(path, headers=headers)
        if answer.status_code not in (200, 201):
            raise SystemExit(f"{method.upper()} {path} for {member.email}: {answer.status_code}")
        return len(queries)

    endpoints = {
        "dashboard": ("get", "/dashboard/"),
        "library": ("get", "/library/"),
        "me/stats": ("get", "/api/v1/me/stats/"),
        "POST sessions": ("post", "/api/v1/sessions/"),
    }
    counts: dict[str, dict[str, object]] = {}
    for name, (method, path) in endpoints.items():
        for _ in range(2):
            request(warm, method, path)
        row: dict[str, object] = {}
        for member in probes:
            first = request(member, method, path)
            row[f"{member.logs} logs"] = {"first": first, "repeat": request(member, method, path)}
        row["constant"] = len({str(v) for v in row.values()}) == 1
        counts[name] = row
    return counts
