import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Heartbeats and task counters live in the cache, which is Redis in the
    PostgreSQL pass and outlives a test there."""
    cache.clear()
    yield
    cache.clear()
