"""Hooks through which metrics/ learns that the record changed."""
