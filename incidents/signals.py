"""Signals through which the record tells other apps it changed. ``incidents`` never
imports ``metrics``; ``metrics`` connects to these (exports, gate caches)."""

from django.db import transaction
from django.dispatch import Signal

# Sent after commit with ``kind`` ("deployment", "incident", "postmortem",
# "action_item", "service") and ``ids``.
record_changed = Signal()


def announce_change(*, kind: str, ids: list[int]) -> None:
    transaction.on_commit(
        lambda: record_changed.send(sender=None, kind=kind, ids=list(ids))
    )
