"""Site-wide pages: the friendly 404 and its layout (the home page: tests/routines/test_home.py)."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert 'class="skip-link"' in page
