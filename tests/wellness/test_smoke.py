"""Smoke test: the embedded stack exactly as ``make run`` starts it.

SQLite + kombu's filesystem broker under a temporary KNEADFUL_VAR_DIR, web + worker + beat
under honcho from Procfile.dev; the home page answers, beat -> worker records a heartbeat,
and one SIGINT (Ctrl-C) stops every process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.servers import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.integration

VENV_BIN = Path(sys.executable).parent


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    """What `make run` gives its processes: no DATABASE_URL, no REDIS_URL, the venv first."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DJANGO_", "KNEADFUL_", "CELERY_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG", "SITE_URL"}
    }
    env.update(
        PATH=f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        KNEADFUL_VAR_DIR=str(var_dir),
        PORT=str(port),
        HEARTBEAT_SECONDS="2",
        PYTHONUNBUFFERED="1",
    )
    return env


def test_embedded_stack_serves_pages_runs_heartbeats_and_stops_on_ctrl_c(tmp_path):
    repo_var_existed = (ROOT / "var").exists()
    var_dir = tmp_path / "var"
    port = free_port()
    env = embedded_env(var_dir, port)

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput")
    loaded = manage("load_starter_content")
    demo = manage("create_demo_accounts")
    assert "member@kneadful.local" in demo
    assert "editor@kneadful.local" in demo
    titles = loaded.split("Starter library ready:", 1)[1].strip().split(", ")
    hands_title = next(t for t in titles if t.startswith("Hands"))

    log_path = tmp_path / "honcho.log"
    log = log_path.open("wb")
    honcho = subprocess.Popen(
        [str(VENV_BIN / "honcho"), "-f", "Procfile.dev", "start"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes: list[psutil.Process] = []
    try:
        wait_for_port(port, timeout=60)
        status, page = get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert hands_title in page

        deadline = time.monotonic() + 40
        health: dict = {}
        while time.monotonic() < deadline:
            status, body = get(f"http://127.0.0.1:{port}/healthz")
            health = json.loads(body)
            if status == 200 and health["last_heartbeat"]:
                break
            time.sleep(0.5)
        assert health.get("last_heartbeat"), f"no heartbeat within 40 s: {health}"
        assert health["database"]["vendor"] == "sqlite"
        assert health["broker"]["transport"] == "filesystem"

        processes = psutil.Process(honcho.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in processes)
        assert "runserver" in names
        assert "worker" in names
        assert "beat" in names

        honcho.send_signal(signal.SIGINT)  # what Ctrl-C does to `make run`
        honcho.wait(timeout=30)
        _gone, alive = psutil.wait_procs(processes, timeout=15)
        assert not alive, f"still running after Ctrl-C: {[p.pid for p in alive]}"
        # Web and beat stop on their own. (Celery's warm shutdown on the filesystem broker can
        # outlast honcho's fixed 5 s grace, after which honcho kills the worker: harmless here.)
        output = log_path.read_text()
        assert "SIGKILL to web" not in output
        assert "SIGKILL to beat" not in output
    except BaseException:
        print(log_path.read_text(errors="replace"))
        raise
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(5)
        for proc in processes:
            if proc.is_running():
                proc.kill()
        log.close()

    # Everything the stack wrote is under the temporary KNEADFUL_VAR_DIR.
    assert (var_dir / "kneadful.sqlite3").exists()
    assert (var_dir / "broker" / "queue").is_dir()
    assert list(var_dir.glob("celerybeat-schedule*"))
    if not repo_var_existed:
        assert not (ROOT / "var").exists()
