import pytest

from incidents.signals import announce_change, record_changed

pytestmark = pytest.mark.django_db


def test_a_failing_listener_neither_raises_nor_stops_the_others(
    django_capture_on_commit_callbacks, caplog
):
    heard = []

    def broken(sender, **kwargs):
        raise ConnectionError("Redis is down")

    def working(sender, *, kind, ids, **kwargs):
        heard.append((kind, ids))

    record_changed.connect(broken, dispatch_uid="test.broken")
    record_changed.connect(working, dispatch_uid="test.working")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            announce_change(kind="incident", ids=[7])
    finally:
        record_changed.disconnect(dispatch_uid="test.broken")
        record_changed.disconnect(dispatch_uid="test.working")

    assert heard == [("incident", [7])]
    assert "Redis is down" in caplog.text
