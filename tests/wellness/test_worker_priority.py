"""Celery workers yield the CPU to the web: each lowers its own priority as it starts
(``WORKER_NICENESS``, wellness.celery.worker_priority_lower)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.servers import ROOT, service_env
from wellness.celery import autogroup_lower


def niceness_of_every_thread(pid: int) -> set[int]:
    """The nice value of every thread of a process and of its children (Linux keeps one
    per thread: field 19 of /proc/<pid>/task/<tid>/stat)."""
    root = psutil.Process(pid)
    values = set()
    for proc in [root, *root.children(recursive=True)]:
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            values.add(int((task / "stat").read_text().rsplit(")", 1)[1].split()[16]))
    return values


@pytest.mark.integration
@pytest.mark.parametrize(
    ("pool", "queues", "expected"),
    [
        ("threads", None, 7),
        ("prefork", None, 7),
        ("threads", "bulk", 13),
        ("threads", "celery,bulk", 7),
    ],
)
def test_a_worker_runs_every_thread_and_child_at_its_queues_niceness(
    worker_env, celery_worker_factory, pool, queues, expected
):
    env = {**worker_env, "WORKER_NICENESS": "7", "BULK_WORKER_NICENESS": "13"}
    worker = celery_worker_factory(env, pool=pool, queues=queues)
    assert niceness_of_every_thread(worker.proc.pid) == {expected}
    # It leads its own session (as a supervisor starts it): its autogroup, which shares
    # the CPU with gunicorn's as one, is lowered too where the kernel has autogroups.
    autogroup = Path(f"/proc/{worker.proc.pid}/autogroup")
    if autogroup.exists():
        assert autogroup.read_text().split()[-1] == str(expected)


def lowered_from(start: int, env: dict[str, str]) -> int:
    """A process started at nice ``start`` calls the worker's hook: its nice value after."""
    code = (
        f"import os, django; os.nice({start}); django.setup();"
        "from wellness.celery import worker_priority_lower; worker_priority_lower();"
        "print(os.getpriority(os.PRIO_PROCESS, 0))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    return int(result.stdout.strip().splitlines()[-1])


def test_the_default_is_10_and_a_worker_never_raises_its_priority(tmp_path):
    env = service_env(KNEADFUL_VAR_DIR=str(tmp_path))
    env.pop("WORKER_NICENESS", None)
    assert lowered_from(0, env) == 10
    assert lowered_from(3, env) == 10
    assert lowered_from(15, env) == 15  # started under `nice -n 15`: left there
    assert lowered_from(2, {**env, "WORKER_NICENESS": "0"}) == 2


@pytest.mark.parametrize(
    ("before", "after"),
    [("/autogroup-42 nice 0", "10"), ("/autogroup-42 nice 15", "/autogroup-42 nice 15")],
)
def test_an_autogroup_is_lowered_never_raised(tmp_path, before, after):
    path = tmp_path / "autogroup"
    path.write_text(before)
    autogroup_lower(10, path)
    assert path.read_text() == after


def test_no_autogroup_file_is_no_error(tmp_path):
    autogroup_lower(10, tmp_path / "absent")
    (tmp_path / "odd").write_text("unexpected")
    autogroup_lower(10, tmp_path / "odd")
    assert (tmp_path / "odd").read_text() == "unexpected"
