"""Every API failure answers JSON: hostile bodies, oversized bodies, unexpected errors."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NESTED = "[" * 1500 + "]" * 1500


@pytest.mark.parametrize(
    ("method", "url", "signed_in"),
    [
        ("post", "/api/v1/auth/token/", False),
        ("post", "/api/v1/sessions/", True),
        ("patch", "/api/v1/me/", True),
    ],
)
def test_deeply_nested_json_is_a_400_in_json(client, method, url, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    response = getattr(client, method)(url, NESTED, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested too deeply" in response.json()["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_a_413_in_json(client):
    client.force_login(UserFactory())
    body = '{"notes": "' + "x" * 5000 + '"}'
    response = client.post("/api/v1/sessions/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The request body is too large."}


def test_an_unexpected_error_is_a_500_in_json_and_logged(client, monkeypatch, caplog):
    from routines import api

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "member_stats_json", broken)
    client.force_login(UserFactory())
    response = client.get("/api/v1/me/stats/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "went wrong" in response.json()["detail"]
    assert "a bug" not in response.content.decode()  # no internals leak
    assert any(record.exc_info for record in caplog.records if record.name == "kneadful.api")


@pytest.mark.urls("tests.wellness.urls_with_errors")
def test_a_lost_database_connection_is_a_503_in_json_with_retry_after(client, caplog):
    response = client.get("/api/v1/database-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    assert "try again" in response.json()["detail"]
    assert "terminating connection" not in response.content.decode()  # no internals leak
    levels = [(r.name, r.levelname) for r in caplog.records if r.levelname != "INFO"]
    assert levels == [("kneadful.errors", "WARNING")]  # an outage, not a bug


@pytest.mark.parametrize("zone", ["localtime", "Factory", "UTC ", "+02:00", "CEST"])
def test_only_iana_place_names_are_time_zones(client, zone):
    member = UserFactory()
    client.force_login(member)
    response = client.patch("/api/v1/me/", {"timezone": zone}, content_type="application/json")
    assert response.status_code == 400
    assert "timezone" in response.json()
    member.refresh_from_db()
    assert member.timezone == "UTC"
