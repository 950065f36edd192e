"""The heartbeat: beat schedules it, a worker runs it, the database records it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from celery import Celery
from django.utils import timezone

from tests.servers import ROOT
from wellness.models import Heartbeat
from wellness.services import heartbeat_record
from wellness.tasks import heartbeat


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def beats() -> int:
    row = Heartbeat.objects.filter(name="celery").first()
    return row.beats if row else 0


@pytest.mark.django_db
def test_heartbeat_record_counts_and_moves_forward():
    first = heartbeat_record()
    assert first.beats == 1
    second = heartbeat_record()
    assert second.beats == 2
    assert second.last_beat_at >= first.last_beat_at
    assert Heartbeat.objects.count() == 1


@pytest.mark.django_db
def test_heartbeat_task_runs_the_service():
    heartbeat.delay()  # eager in the test settings
    assert beats() == 1
    assert Heartbeat.objects.get().last_beat_at <= timezone.now()


def test_heartbeat_is_scheduled_by_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == heartbeat.name
    assert entry["schedule"] == settings.HEARTBEAT_SECONDS


@pytest.mark.integration
def test_real_worker_runs_heartbeat_from_real_redis(
    postgres_required, worker_env, fresh_redis_url, celery_worker_factory
):
    celery_worker_factory({**worker_env, "REDIS_URL": fresh_redis_url})
    # Not the current app: later eager tasks in this process must keep using wellness.celery.
    sender = Celery("sender", broker=fresh_redis_url, set_as_current=False)
    try:
        sender.send_task("wellness.tasks.heartbeat")
        wait_for(lambda: beats() >= 1, what="the worker to record a heartbeat")
    finally:
        sender.close()
    assert beats() == 1


@pytest.mark.integration
def test_beat_process_drives_the_worker(
    postgres_required, worker_env, fresh_redis_url, celery_worker_factory, tmp_path
):
    env = {**worker_env, "REDIS_URL": fresh_redis_url, "HEARTBEAT_SECONDS": "1"}
    worker = celery_worker_factory(env)
    log = (tmp_path / "beat.log").open("wb")
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wellness",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: beats() >= 1, what="the first scheduled heartbeat")
        first = beats()
        wait_for(lambda: beats() >= first + 2, what="more heartbeats, one a second")
    except AssertionError:
        print((tmp_path / "beat.log").read_text(errors="replace"), worker.log(), sep="\n---\n")
        raise
    finally:
        beat.terminate()
        try:
            beat.wait(15)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait(5)
        log.close()
    assert beat.returncode is not None
    assert "Sending due task heartbeat" in (tmp_path / "beat.log").read_text()
