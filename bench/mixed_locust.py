"""The members of bench/mixed.py, for locust (run by it as a subprocess, headless).

Each simulated member is one seeded member, signed in beforehand through allauth's login
form (its session and CSRF cookies) and holding an API token; bench/mixed.py passes them
in ``MIXED_MEMBERS`` (a JSON file). A member browses the library and a routine, plays a
routine and saves it through the player's finish form (a form POST with the page's CSRF
token and ``client_id``), logs a session through ``POST /api/v1/sessions/`` (its own
``client_id``), and reads the dashboard and ``/api/v1/me/stats/``.

Retries: a write answered 5xx, or cut off (connection error), may or may not have been
saved, so the member sends it again with the same ``client_id`` (the product then
answers "already saved" instead of logging it twice), up to ``RETRIES`` times over about
a minute; a read is retried the same way (a reload). Every attempt is in locust's
statistics (a retried one under ``<name> [retry]``); what each write finally got is
written to ``MIXED_WRITES`` (JSON lines: note, kind, outcome, attempts) when the member
stops, and every ``notes`` carries a unique marker, so bench/mixed.py can compare what
members were told with the rows in the database.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import random
import re
import threading
import time
import uuid

from locust import HttpUser, between, constant, events, task

MEMBERS = json.loads(open(os.environ["MIXED_MEMBERS"]).read())  # noqa: SIM115
WRITES_PATH = os.environ["MIXED_WRITES"]
TIMINGS_PATH = os.environ.get("MIXED_TIMINGS")
THINK = os.environ.get("MIXED_THINK", "2,8")
RETRIES = 12
RETRY_PAUSE = 5.0  # seconds between attempts (a PostgreSQL restart takes a few)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
FINISH_FORM = re.compile(r'<form method="post" action="([^"]+/finish/)".*?</form>', re.S)

_lock = threading.Lock()
_next = [0]
_writes: dict[str, dict] = {}  # by note, recorded before the first attempt
_timings: list[tuple[float, str, float, int]] = []  # start (epoch s), name, ms, status


def _member() -> dict:
    with _lock:
        member = MEMBERS[_next[0] % len(MEMBERS)]
        _next[0] += 1
    return member


@events.request.add_listener
def _time(name: str, response_time: float, response=None, start_time=None, **_: object) -> None:  # type: ignore[no-untyped-def]
    """Every request's start and time, for the report's latency over the run."""
    status = getattr(response, "status_code", 0) or 0
    _timings.append((start_time or time.time(), name, response_time, status))


@events.test_stop.add_listener
def _save_writes(**_: object) -> None:
    with _lock, open(WRITES_PATH, "w") as out:
        out.writelines(json.dumps(w) + "\n" for w in _writes.values())
    if TIMINGS_PATH:
        with open(TIMINGS_PATH, "w") as out:
            out.writelines(f"{t:.3f}\t{n}\t{ms:.1f}\t{s}\n" for t, n, ms, s in _timings)


def _clear(response) -> bool:  # type: ignore[no-untyped-def]
    """A clear error: the server said it failed (5xx) or the connection broke."""
    return response.status_code == 0 or response.status_code >= 500


class Member(HttpUser):
    wait_time = constant(0) if THINK == "0" else between(*map(float, THINK.split(",")))

    def on_start(self) -> None:
        member = _member()
        self.email = member["email"]
        self.token = member["token"]
        self.routines = member["routines"]
        for name, value in member["cookies"].items():
            self.client.cookies.set(name, value)

    # --- one request, retried on a clear error ------------------------------------------

    def request(self, method: str, path: str, name: str, ok: tuple[int, ...], **kwargs):  # type: ignore[no-untyped-def]
        """Send until the answer is one of ``ok`` or not a clear error; return the last
        response (None when every attempt met a clear error) and the attempts made."""
        kwargs.setdefault("allow_redirects", False)
        for attempt in range(1, RETRIES + 1):
            label = name if attempt == 1 else f"{name} [retry]"
            with self.client.request(
                method, path, name=label, catch_response=True, **kwargs
            ) as response:
                if response.status_code in ok:
                    response.success()
                    return response, attempt
                clear = _clear(response)
                response.failure(
                    f"{'clear error' if clear else 'unexpected'} {response.status_code}"
                )
                if not clear:
                    return response, attempt
            time.sleep(RETRY_PAUSE)
        return None, RETRIES

    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}", "Accept": "application/json"}

    def intend(self, note: str, kind: str) -> None:
        """Before the first attempt: a write cut off by the end of the run still counts."""
        with _lock:
            _writes[note] = {"note": note, "kind": kind, "outcome": "in flight", "attempts": 0}

    def record(self, note: str, response, attempts: int) -> None:  # type: ignore[no-untyped-def]
        outcome = "gave up" if response is None else str(response.status_code)
        with _lock:
            _writes[note].update(outcome=outcome, attempts=attempts)

    # --- what members do ------------------------------------------------------------------

    @task(3)
    def browse(self) -> None:
        self.request("GET", "/library/", "library", (200,))
        pk = random.choice(self.routines)
        self.request("GET", f"/routines/{pk}/", "routine detail", (200,))

    @task(2)
    def play_and_save(self) -> None:
        pk = random.choice(self.routines)
        page, _ = self.request("GET", f"/routines/{pk}/play/", "player", (200,))
        if page is None or page.status_code != 200:
            return
        form = FINISH_FORM.search(page.text)
        if form is None:
            return
        fields = {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(0))}
        note = f"mixed:{uuid.uuid4()}"
        # What the page's script fills in when the member finishes: the steps done and
        # the session's end (here: a 12-minute session that just ended).
        now = dt.datetime.now(dt.UTC)
        fields.update(
            started_at=(now - dt.timedelta(minutes=12)).isoformat(),
            ended_at=now.isoformat(),
            steps_completed="1",
            tension_before="6",
            tension_after="3",
            rating="4",
            notes=note,
        )
        headers = {"Referer": self.host + f"/routines/{pk}/play/"}
        self.intend(note, "form")
        response, attempts = self.request(
            "POST", html.unescape(form.group(1)), "finish (form POST)", (302,),
            data=fields, headers=headers,
        )  # fmt: skip
        self.record(note, response, attempts)
        if response is not None and response.status_code == 302:
            self.request("GET", "/dashboard/", "dashboard", (200,))

    @task(2)
    def log_through_the_api(self) -> None:
        now = dt.datetime.now(dt.UTC)
        note = f"mixed:{uuid.uuid4()}"
        body = {
            "client_id": str(uuid.uuid4()),
            "routine": random.choice(self.routines),
            "started_at": (now - dt.timedelta(minutes=20)).isoformat(),
            "ended_at": (now - dt.timedelta(minutes=8)).isoformat(),
            "tension_before": 6,
            "tension_after": 3,
            "rating": 4,
            "sides": "both",
            "notes": note,
        }
        self.intend(note, "api")
        response, attempts = self.request(
            "POST", "/api/v1/sessions/", "POST sessions (API)", (200, 201),
            json=body, headers=self.api_headers(),
        )  # fmt: skip
        self.record(note, response, attempts)

    @task(2)
    def dashboard(self) -> None:
        self.request("GET", "/dashboard/", "dashboard", (200,))

    @task(2)
    def stats(self) -> None:
        self.request("GET", "/api/v1/me/stats/", "me/stats", (200,), headers=self.api_headers())
