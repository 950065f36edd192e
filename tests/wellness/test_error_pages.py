"""404 and 500 pages in the site's look, with a way back, under DEBUG=false (issue 13)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.factories import UserFactory

URLS = "tests.wellness.urls_with_errors"


def _page(response) -> str:
    return response.content.decode()


@pytest.mark.urls(URLS)
@override_settings(DEBUG=False)
def test_500_page_has_the_site_look_and_a_way_back_without_database_or_request():
    """No ``db`` fixture: any database query while handling the error would fail the test.
    Django's server_error renders the template without a request or context processors."""
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = _page(response)
    assert "<title>Something went wrong · Kneadful</title>" in page
    assert 'class="site-header"' in page and 'class="brand" href="/"' in page
    assert "/static/css/site.css" in page and 'class="skip-link"' in page
    assert "Something went wrong on our side" in page
    assert 'href="/">Go to the home page</a>' in page
    assert 'href="/library/">Browse the library</a>' in page
    assert "not medical care" in page  # the footer


@pytest.mark.django_db
@pytest.mark.urls(URLS)
@override_settings(DEBUG=False)
@pytest.mark.parametrize("staff", [False, True], ids=["member", "staff"])
def test_404_page_has_the_site_look_and_a_way_back_for_members_and_staff(staff):
    client = Client()
    client.force_login(UserFactory(is_staff=staff))
    for url in ("/no-such-page/", "/sessions/999999/", "/library/no-such-series/"):
        response = client.get(url)
        assert response.status_code == 404
        page = _page(response)
        assert "We could not find that page" in page
        assert 'class="site-header"' in page and "Log out" in page  # still signed in
        assert 'href="/">Go to the home page</a>' in page
        assert 'href="/dashboard/">My progress</a>' in page
        assert "not medical care" in page


@pytest.mark.django_db
@pytest.mark.urls(URLS)
@override_settings(DEBUG=False)
def test_404_page_for_visitors():
    page = _page(Client().get("/no-such-page/"))
    assert "We could not find that page" in page and "Log in" in page
    assert 'href="/library/">Browse the library</a>' in page


def _answered_503_and_logged_a_warning(response, caplog) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    ours = [r for r in caplog.records if r.name == "kneadful.errors"]
    assert [r.levelname for r in ours] == ["WARNING"]
    assert "OperationalError" in ours[0].getMessage()
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


@pytest.mark.urls(URLS)
@override_settings(DEBUG=False)
def test_a_lost_database_connection_is_a_503_page_with_retry_after(caplog):
    """No ``db`` fixture: the 503 page, like the 500 page, needs no database."""
    response = Client(raise_request_exception=False).get("/database-down/")
    _answered_503_and_logged_a_warning(response, caplog)
    page = _page(response)
    assert "<title>Back in a moment · Kneadful</title>" in page
    assert 'class="site-header"' in page and 'class="skip-link"' in page
    assert "cannot reach our records" in page
    assert 'href="/">Go to the home page</a>' in page
    assert "terminating connection" not in page  # no internals leak


@pytest.mark.django_db
@pytest.mark.urls(URLS)
@override_settings(DEBUG=False)
@pytest.mark.parametrize("path", ["/dashboard/", "/api/v1/me/"])
def test_the_database_lost_while_a_middleware_loads_the_member_is_a_503(path, monkeypatch, caplog):
    """The first query of a signed-in request is the member's, in a middleware, before
    any view: a page answers the 503 page, the API JSON."""
    from django.contrib import auth
    from django.db import OperationalError

    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    def database_gone(request):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(auth, "get_user", database_gone)
    response = client.get(path)
    _answered_503_and_logged_a_warning(response, caplog)
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/json"
        assert "try again" in response.json()["detail"]
    else:
        assert "<title>Back in a moment · Kneadful</title>" in _page(response)
