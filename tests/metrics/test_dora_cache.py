"""Caching of the page's DORA figures."""

import threading

import pytest
from django.core.cache import cache

from incidents.signals import record_changed
from metrics.dora import cache as dora_cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return compute, calls


def test_fresh_figures_are_computed_once():
    compute, calls = counter()

    first = dora_cache.cached({"days": 30}, compute)
    second = dora_cache.cached({"days": 30}, compute)

    assert (first, second) == (1, 1)
    assert len(calls) == 1


def test_a_change_of_the_record_forgets_the_figures():
    compute, calls = counter()
    dora_cache.cached({"days": 30}, compute)

    record_changed.send(sender=None, kind="deployment", ids=[1])

    assert dora_cache.cached({"days": 30}, compute) == 2
    assert len(calls) == 2


def test_stale_figures_are_served_while_another_request_refreshes_them(monkeypatch):
    compute, calls = counter()
    dora_cache.cached({"days": 30}, compute)
    record_changed.send(sender=None, kind="deployment", ids=[1])
    key = dora_cache._key({"days": 30})
    cache.add(key + ":lock", 1)

    served = dora_cache.cached({"days": 30}, compute)

    assert served == 1
    assert len(calls) == 1


def test_old_figures_are_served_while_a_background_thread_refreshes_them(
    monkeypatch,
):
    compute, calls = counter()
    dora_cache.cached({"days": 30}, compute)
    later = dora_cache.time.time() + 61
    monkeypatch.setattr(dora_cache.time, "time", lambda: later)

    served = dora_cache.cached({"days": 30}, compute)

    assert served == 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(timeout=5)
    assert len(calls) == 2
    assert cache.get(dora_cache._key({"days": 30}))["value"] == 2
