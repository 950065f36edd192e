import pytest

from tests.offers.helpers import editor


@pytest.fixture
def editor_client(client):
    """A signed-in editor (staff, in the "Editors" group); ``client.editor`` is the user."""
    client.editor = editor(timezone="Europe/Paris")
    client.force_login(client.editor)
    return client
