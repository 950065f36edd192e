"""Email benchmark: Kneadful's build + batch send against the raw smtplib ceiling.

    .venv/bin/python bench/emails.py [--messages 2000] [--runs 2]

Starts a throwaway PostgreSQL (tests/servers.py), migrates, seeds ``--messages`` verified
members, and starts an aiosmtpd sink in its own process on 127.0.0.1 (so the sink and
the sender do not share one interpreter). Then, per run:

* ceiling: Python's smtplib sending one pre-built message's bytes ``--messages`` times
  over one connection to the sink;
* ``email_allowed_user_ids`` for all members (the send-time checks, in bulk);
* ``email_message_build`` for every member (templates, tokens, headers);
* ``email_send_batch`` of those messages over one connection;
* build + send together, as a ratio to the ceiling.

The sink counts connections and messages; the numbers are checked, not assumed.
Everything started is stopped at exit. Runs are bounded by ``--messages`` (max 20,000).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, start_postgres, wait_for_port  # noqa: E402

MAX_MESSAGES = 20_000


class CountingSink:
    """aiosmtpd handler for the sink process: accepts everything, counts into a file."""

    def __init__(self) -> None:
        self.path = Path(os.environ["KNEADFUL_SINK_COUNTS"])
        self.connections = 0
        self.messages = 0

    def _write(self) -> None:
        self.path.write_text(f"{self.connections} {self.messages}")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        self._write()
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        if self.messages % 100 == 0:
            self._write()
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        self._write()
        return "221 Bye"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def sink_counts(path: Path) -> tuple[int, int]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = path.read_text().strip() if path.exists() else ""
        if text:
            connections, messages = (int(part) for part in text.split())
            return connections, messages
        time.sleep(0.05)
    return 0, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    n = max(1, min(args.messages, MAX_MESSAGES))

    workdir = Path(tempfile.mkdtemp(prefix="kneadful-bench-email-"))
    database_url, stop_postgres = start_postgres()
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="wellness.settings",
        DEBUG="false",
        SECRET_KEY="bench-" + "k" * 60,
        ALLOWED_HOSTS="localhost",
        SITE_URL="https://kneadful.example",
        KNEADFUL_VAR_DIR=str(workdir / "var"),
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    counts = workdir / "sink-counts"
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "bench.emails.CountingSink",
            "-l",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env={**os.environ, "KNEADFUL_SINK_COUNTS": str(counts)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        import django

        django.setup()
        from allauth.account.models import EmailAddress
        from django.conf import settings
        from django.core.management import call_command

        from accounts.emails import email_allowed_user_ids
        from accounts.models import User
        from wellness.emails import email_message_build, email_send_batch

        call_command("migrate", verbosity=0)
        log(f"seeding {n} verified members")
        users = User.objects.bulk_create(
            [User(email=f"member{i}@example.com", display_name=f"Member {i}") for i in range(n)]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
        users = list(User.objects.order_by("pk"))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        context = {
            "headline": "Two new series",
            "paragraphs": ["Feet and shoulders, ten minutes each.", "Try one this week."],
            "action_url": "https://kneadful.example/library/",
        }
        email_message_build(user=users[0], template="notice", context=context, category="offers")

        for run in range(1, args.runs + 1):
            before = sink_counts(counts) if counts.exists() else (0, 0)
            raw = (
                email_message_build(
                    user=users[0], template="notice", context=context, category="newsletter"
                )
                .message()
                .as_bytes(linesep="\r\n")
            )
            start = time.perf_counter()
            client = smtplib.SMTP("127.0.0.1", port)
            for _ in range(n):
                client.sendmail("hello@kneadful.local", [users[0].email], raw)
            client.quit()
            ceiling = n / (time.perf_counter() - start)

            start = time.perf_counter()
            allowed = email_allowed_user_ids(user_ids=[u.pk for u in users], category="newsletter")
            allowed_s = time.perf_counter() - start
            assert len(allowed) == n

            start = time.perf_counter()
            messages = [
                (
                    u,
                    email_message_build(
                        user=u, template="notice", context=context, category="newsletter"
                    ),
                )
                for u in users
            ]
            build_s = time.perf_counter() - start

            mid = sink_counts(counts)
            start = time.perf_counter()
            outcomes = email_send_batch(messages)
            send_s = time.perf_counter() - start
            time.sleep(0.3)
            after = sink_counts(counts)
            sent = sum(o.sent for o in outcomes)
            assert sent == n, f"only {sent} of {n} sent: {outcomes[:3]}"
            batch_connections = after[0] - mid[0]
            delivered = after[1] - before[1]

            total = n / (build_s + send_s)
            log(
                f"run {run}: {n} messages | raw smtplib ceiling {ceiling:,.0f} msg/s | "
                f"allowed-filter {allowed_s * 1000:,.0f} ms | "
                f"build {build_s / n * 1000:.2f} ms/msg | "
                f"send_batch {n / send_s:,.0f} msg/s over {batch_connections} connection(s) | "
                f"build+send {total:,.0f} msg/s = {total / ceiling:.2f} of ceiling | "
                f"sink received {delivered} (ceiling + batch)"
            )
    finally:
        sink.terminate()
        sink.wait(10)
        stop_postgres()


if __name__ == "__main__":
    main()
