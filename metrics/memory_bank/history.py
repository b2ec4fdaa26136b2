"""Summarising older history: recent months stay monthly, earlier ones roll up into
years. This is how the files keep to their size bound without cutting history off."""

from collections import defaultdict
from datetime import date


def month_cutoff(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before today's month."""
    index = today.year * 12 + today.month - 1 - max(months - 1, 0)
    return date(index // 12, index % 12 + 1, 1)


def yearly_and_monthly(
    rows, *, fields: list[str], today: date, monthly_months: int
) -> list[tuple[str, str, tuple]]:
    """rows: (key, month as a datetime or date, mapping of counts). Returns (key,
    period, counts) with months ``YYYY-MM`` inside the monthly span and years
    ``YYYY`` before it, ordered by key, then newest period first."""
    cutoff = month_cutoff(today, monthly_months) if monthly_months else None
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(fields))
    for key, month, counts in rows:
        month_date = month.date() if hasattr(month, "date") else month
        if cutoff is not None and month_date >= cutoff:
            period = f"{month_date:%Y-%m}"
        else:
            period = f"{month_date:%Y}"
        bucket = totals[(key, period)]
        for i, field in enumerate(fields):
            bucket[i] += counts[field]

    ordered = sorted(totals.items(), key=lambda item: item[0][1], reverse=True)
    ordered.sort(key=lambda item: item[0][0])
    return [(key, period, tuple(counts)) for (key, period), counts in ordered]
