import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached fragments and lookups (keyed by ids) never leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()
