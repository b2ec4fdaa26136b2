"""Signals through which the record tells other apps it changed. ``incidents`` never
imports ``metrics``; ``metrics`` connects to these (exports, gate caches)."""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent after commit with ``kind`` ("deployment", "incident", "postmortem",
# "action_item", "service") and ``ids``.
record_changed = Signal()


def _send(kind: str, ids: list[int]) -> None:
    # The change is already committed: a listener that fails (Redis down, say) must
    # neither turn the request into an error nor keep the other listeners from running.
    for listener, outcome in record_changed.send_robust(
        sender=None, kind=kind, ids=ids
    ):
        if isinstance(outcome, Exception):
            logger.error(
                "After a %s change, %s failed: %s",
                kind,
                getattr(listener, "__qualname__", listener),
                outcome,
                exc_info=outcome,
            )


def announce_change(*, kind: str, ids: list[int]) -> None:
    transaction.on_commit(lambda: _send(kind, list(ids)))
