"""/healthz: 200 when the database and the broker answer, 503 with the reason when one does not."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.urls import reverse

from tests.servers import free_port
from wellness.celery import app
from wellness.services import heartbeat_record

pytestmark = pytest.mark.django_db


def test_healthz_up_reports_database_broker_and_heartbeat(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    data = response.json()
    assert set(data) == {"ok", "database", "broker", "last_heartbeat"}
    assert data["ok"] is True
    assert data["database"]["ok"] is True
    assert data["database"]["vendor"] in {"postgresql", "sqlite"}
    assert data["broker"] == {"ok": True, "transport": "filesystem"}
    assert data["last_heartbeat"] is None

    beat = heartbeat_record()
    assert client.get(reverse("healthz")).json()["last_heartbeat"] == beat.last_beat_at.isoformat()


def test_healthz_503_when_the_database_is_down(client):
    with mock.patch.object(
        BaseDatabaseWrapper, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    data = response.json()
    assert data["ok"] is False
    assert data["database"] == {"ok": False, "error": "OperationalError"}
    assert data["broker"]["ok"] is True
    assert data["last_heartbeat"] is None


def test_healthz_503_when_the_broker_is_down(client, monkeypatch):
    closed = free_port()  # nothing listens there
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{closed}/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    data = response.json()
    assert data["ok"] is False
    assert data["database"]["ok"] is True
    assert data["broker"]["ok"] is False
    assert data["broker"]["transport"] == "redis"
    assert data["broker"]["error"]


@pytest.mark.integration
def test_healthz_200_with_a_real_redis_broker(client, monkeypatch, redis_url):
    monkeypatch.setattr(app.conf, "broker_url", redis_url)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["broker"] == {"ok": True, "transport": "redis"}


def test_healthz_only_answers_get(client):
    assert client.post(reverse("healthz")).status_code == 405
