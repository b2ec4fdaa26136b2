"""The interval sweep against a brute-force count, minute by minute."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.slo.budget import Impact, weighted_minutes
from tests.factories import at

ORIGIN = at(2025, 1, 1)
SPAN = 300  # minutes

impacts = st.lists(
    st.tuples(
        st.integers(0, SPAN),
        st.one_of(st.none(), st.integers(1, SPAN)),
        st.sampled_from([5, 20, 50, 100]),
    ),
    max_size=8,
)


def build(raw):
    found = []
    for start, length, percent in raw:
        end = None if length is None else ORIGIN + timedelta(minutes=start + length)
        found.append(Impact(ORIGIN + timedelta(minutes=start), end, percent))
    return found


def brute_force(items, lo, hi, now) -> float:
    """For every whole minute, the largest impact open throughout it."""
    total = 0.0
    for minute in range(lo, hi):
        instant = ORIGIN + timedelta(minutes=minute)
        open_ = [
            i.percent
            for i in items
            if i.start <= instant and (i.end or now) >= instant + timedelta(minutes=1)
        ]
        total += max(open_, default=0) / 100
    return total


@settings(max_examples=150, deadline=None)
@given(impacts, st.integers(0, SPAN), st.integers(0, SPAN), st.integers(0, 2 * SPAN))
def test_the_sweep_matches_a_minute_by_minute_count(raw, a, b, now_minute):
    lo, hi = min(a, b), max(a, b)
    now = ORIGIN + timedelta(minutes=now_minute)
    items = build(raw)

    swept = weighted_minutes(
        items,
        ORIGIN + timedelta(minutes=lo),
        ORIGIN + timedelta(minutes=hi),
        now=now,
    )

    assert abs(swept - brute_force(items, lo, hi, now)) < 1e-6


@settings(max_examples=100, deadline=None)
@given(impacts)
def test_merging_never_costs_more_than_the_incidents_apart(raw):
    items = build(raw)
    now = ORIGIN + timedelta(minutes=2 * SPAN)
    lo, hi = ORIGIN, ORIGIN + timedelta(minutes=2 * SPAN)

    merged = weighted_minutes(items, lo, hi, now=now)
    apart = sum(weighted_minutes([item], lo, hi, now=now) for item in items)

    assert merged <= apart + 1e-9
