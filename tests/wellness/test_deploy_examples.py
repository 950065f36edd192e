"""The process lists a deployer starts from (the Procfile, the example systemd units and
docker-compose file) run a worker for every queue a task is routed to, and one beat."""

from __future__ import annotations

import re
import shlex

import pytest
from django.conf import settings

from tests.servers import ROOT

DEPLOY = ROOT / "docs" / "deploy"


def worker_commands(kind: str) -> list[str]:
    if kind == "Procfile":
        lines = (ROOT / "Procfile").read_text().splitlines()
        return [line.split(":", 1)[1] for line in lines if not line.startswith("#") and ":" in line]
    if kind == "systemd":
        return [
            line.removeprefix("ExecStart=")
            for unit in sorted(DEPLOY.glob("*.service"))
            for line in unit.read_text().splitlines()
            if line.startswith("ExecStart=")
        ]
    return re.findall(r"^\s+command: (.+)$", (DEPLOY / "docker-compose.yml").read_text(), re.M)


def queues_served(command: str) -> set[str] | None:
    """The queues of a ``celery worker`` command (Celery's default ``celery`` without -Q);
    None when the command starts no worker."""
    quoted = shlex.split(command.replace('", "', " ").strip('[]"'))
    words = [word for part in quoted for word in part.split()]  # sh -c '...' too
    if "worker" not in words or "celery" not in " ".join(words):
        return None
    if "-Q" in words:
        return set(words[words.index("-Q") + 1].split(","))
    return {"celery"}


@pytest.mark.parametrize("kind", ["Procfile", "systemd", "compose"])
def test_every_routed_queue_has_a_worker_and_there_is_one_beat(kind):
    commands = worker_commands(kind)
    served = set().union(*(queues_served(c) or set() for c in commands))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"celery"}
    assert routed <= served, f"{kind}: no worker for {routed - served}"
    beats = [c for c in commands if re.search(r"\bbeat\b", c) and "worker" not in c]
    assert len(beats) == 1, f"{kind}: {beats}"
    assert not [c for c in commands if "worker" in c and re.search(r"(^|\s)(-B|--beat)\b", c)]
