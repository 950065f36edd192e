"""Every list of the API pages the same way: ``page`` and ``page_size`` are whole numbers
in range, or a 400 naming the parameter (issue 14: ``page_size=abc`` was ignored)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import EditorFactory, SeriesFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/body-parts/",
    "/api/v1/campaigns/",
    "/api/v1/me/favourites/",
    "/api/v1/me/reminders/",
    "/api/v1/me/rest-days/",
    "/api/v1/me/tokens/",
    "/api/v1/offers/",
    "/api/v1/series/",
    "/api/v1/series/paged/history/",
    "/api/v1/sessions/",
]


@pytest.fixture
def editor_client() -> APIClient:
    """An editor: a member who may also read campaigns and a series' history."""
    SeriesFactory(slug="paged")
    client = APIClient()
    client.force_authenticate(EditorFactory())
    return client


def test_the_list_here_is_every_paginated_list_of_the_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paginated = {
        path.replace("{slug}", "paged")
        for path, item in schema["paths"].items()
        if any(p["name"] == "page" for p in item.get("get", {}).get("parameters", []))
    }
    assert paginated == set(LISTS)


@pytest.mark.parametrize("url", LISTS)
def test_a_page_size_that_is_not_a_whole_number_from_1_to_200_is_a_400(editor_client, url):
    for value in ["abc", "0", "-3", "1.5", "201"]:
        response = editor_client.get(url, {"page_size": value})
        assert response.status_code == 400, (value, response.content)
        assert list(response.json()) == ["page_size"], value
    assert editor_client.get(url, {"page_size": "200"}).status_code == 200
    assert editor_client.get(url, {"page_size": ""}).status_code == 200  # as if absent


@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400(editor_client, value):
    response = editor_client.get("/api/v1/series/", {"page": value})
    assert response.status_code == 400
    assert list(response.json()) == ["page"]


def test_a_page_past_the_last_is_a_404_and_page_size_picks_the_page(editor_client):
    SeriesFactory.create_batch(2)
    first = editor_client.get("/api/v1/series/", {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    last = editor_client.get("/api/v1/series/", {"page_size": 2, "page": "last"}).json()
    assert len(last["results"]) == 1
    past = editor_client.get("/api/v1/series/", {"page_size": 2, "page": 3})
    assert past.status_code == 404
    assert past["Content-Type"] == "application/json"
