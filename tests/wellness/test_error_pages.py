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
