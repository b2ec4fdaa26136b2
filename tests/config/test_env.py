import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_networks


def test_addresses_and_networks_are_accepted(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_ADDRESSES", "10.8.0.0/16, ::1,192.0.2.7")

    assert env_networks("METRICS_ALLOWED_ADDRESSES", []) == [
        "10.8.0.0/16",
        "::1",
        "192.0.2.7",
    ]


def test_unset_gives_the_default(monkeypatch):
    monkeypatch.delenv("METRICS_ALLOWED_ADDRESSES", raising=False)

    assert env_networks("METRICS_ALLOWED_ADDRESSES", ["127.0.0.1"]) == ["127.0.0.1"]


def test_a_host_name_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_ADDRESSES", "10.0.0.0/8,prometheus")

    with pytest.raises(
        ImproperlyConfigured, match="METRICS_ALLOWED_ADDRESSES.*prometheus"
    ):
        env_networks("METRICS_ALLOWED_ADDRESSES", [])
