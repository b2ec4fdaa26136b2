"""Functions that change the record. Each is one transaction, takes keyword-only
arguments, names who acted with ``actor=``, and enqueues follow-up work with
``transaction.on_commit`` through ``incidents.signals.record_changed``."""
