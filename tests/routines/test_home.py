"""The home page (routines.views.home): the layout and a few published series."""

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


def test_home_shows_editors_the_published_showcase_too(client):
    from tests.factories import EditorFactory, SeriesFactory

    SeriesFactory(title="Draft series", status="draft", published_at=None)
    SeriesFactory(title="Live series")
    client.force_login(EditorFactory())
    page = client.get(reverse("home")).content.decode()
    assert "Live series" in page
    assert "Draft series" not in page


def test_home_only_answers_get(client):
    assert client.post(reverse("home")).status_code == 405
