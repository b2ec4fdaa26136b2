"""DORA delivery metrics, computed in the database (DESIGN.md, "Metric definitions")."""

from .report import DEFINITION_VERSION, dora_report, weekly_trend

__all__ = ["DEFINITION_VERSION", "dora_report", "weekly_trend"]
