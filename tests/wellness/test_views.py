"""Site-wide pages: home with the starter library, friendly 404, the layout's landmarks."""

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_shows_published_series_and_the_layout(client):
    call_command("load_starter_content", verbosity=0)
    page = client.get(reverse("home")).content.decode()
    assert "Hands: release the grip" in page
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert 'aria-label="Main"' in page
    assert "not medical care" in page
    assert 'rel="icon"' in page


def test_home_hides_drafts(client):
    from tests.factories import SeriesFactory

    SeriesFactory(title="Secret draft series", status="draft", published_at=None)
    assert "Secret draft series" not in client.get(reverse("home")).content.decode()


def test_unknown_page_is_a_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert 'class="skip-link"' in page


def test_home_only_answers_get(client):
    assert client.post(reverse("home")).status_code == 405
