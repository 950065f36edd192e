"""Throwaway PostgreSQL, Redis, SMTP sink and Celery workers for the test suite.

Each server is started from the system binaries on a free loopback port in a temporary
folder and stopped at exit. When a binary is missing the caller decides: integration
tests skip with a loud reason, except under ``CI=true`` where a missing service fails.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class ServiceUnavailable(RuntimeError):
    """A system binary the test needs is not installed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


# --- PostgreSQL -------------------------------------------------------------------------


def postgres_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run it (and pg_ctl) as the postgres user then."""
    if os.geteuid() != 0:
        return cmd
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


def start_postgres() -> tuple[str, callable]:
    """Start a throwaway PostgreSQL; return its URL (database ``kneadful``) and a stop function."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ServiceUnavailable(
            "PostgreSQL is not installed (no initdb): apt-get install postgresql"
        )
    base = Path(tempfile.mkdtemp(prefix="kneadful-pg-"))
    data, sockets, log = base / "data", base / "sock", base / "pg.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, pg.pw_uid, pg.pw_gid)
    port = free_port()
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                f"'{options}'",
                "-w",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            str(bin_dir / "createdb") if (bin_dir / "createdb").exists() else "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "kneadful",
        ],
        check=True,
    )

    def stop() -> None:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)

    return f"postgres://postgres@127.0.0.1:{port}/kneadful", stop


# --- Redis ------------------------------------------------------------------------------


class RedisServer:
    """A throwaway ``redis-server`` on a fixed loopback port that can be stopped and
    started again on the same port (to test an outage and the recovery)."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServiceUnavailable(
                "Redis is not installed (no redis-server): apt-get install redis-server"
            )
        self.base = Path(tempfile.mkdtemp(prefix="kneadful-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.base),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Stop the server (its data goes with it, as after a crash without persistence)."""
        if self.proc is not None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_redis() -> tuple[str, callable]:
    server = RedisServer().start()
    return server.url, server.close


# --- Celery worker ----------------------------------------------------------------------


class CeleryWorker:
    """A real ``celery -A wellness worker`` process with its own environment."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        concurrency: int = 2,
        pool: str = "prefork",
        queues: str | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.env = env
        self.log_path = Path(tempfile.mkstemp(prefix="kneadful-worker-", suffix=".log")[1])
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wellness",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        if queues:
            args += ["-Q", queues]
        self.args = args + (extra_args or [])
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> CeleryWorker:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool children), like a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def service_env(**overrides: str) -> dict[str, str]:
    """Environment for a subprocess that runs Kneadful with production-like settings modules."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "wellness.settings", "DEBUG": "true"})
    env.update(overrides)
    return env


# --- shared servers for one test run ----------------------------------------------------

_OWNED: list[callable] = []


def shared_service_url(kind: str) -> str:
    """Start PostgreSQL or Redis once per test run (shared by xdist workers through the env)."""
    var = f"KNEADFUL_TEST_{kind.upper()}_URL"
    if os.environ.get(var):
        return os.environ[var]
    url, stop = {"postgres": start_postgres, "redis": start_redis}[kind]()
    os.environ[var] = url
    owner = os.getpid()

    def stop_if_owner() -> None:
        if os.getpid() == owner:
            stop()

    _OWNED.append(stop_if_owner)
    return url


@atexit.register
def _stop_owned() -> None:
    for stop in reversed(_OWNED):
        with contextlib.suppress(Exception):
            stop()


@contextlib.contextmanager
def smtp_sink(handler: object | None = None) -> Iterator[tuple[int, list]]:
    """An aiosmtpd server on loopback collecting messages: yields (port, messages)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Collect(Message):
        def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
            received.append(message)

    port = free_port()
    controller = Controller(handler or Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


# --- helpers for tests that drive the product's own processes ------------------------------


def manage(env: dict[str, str], *args: str, with_stderr: bool = False) -> str:
    """Run ``manage.py`` with ``env`` as a deployer would; fail on a non-zero exit. Returns
    what it printed (and its log lines on stderr, with ``with_stderr``)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + (result.stderr if with_stderr else "")


def wait_for(predicate, timeout: float, what: str, detail=lambda: "") -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` every 0.1 s until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail()}")
