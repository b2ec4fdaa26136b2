"""Search gives the same postmortems for plain words on SQLite (icontains) and on
PostgreSQL (full-text); the suite runs on both."""

import pytest

from incidents.postmortem_selectors import search_postmortems

from ..factories import make_incident, make_postmortem


@pytest.fixture
def corpus(db):
    return {
        "disk": make_postmortem(
            make_incident(title="Disk full on db-1"),
            body="The volume filled with WAL segments; replication lagged.",
        ),
        "dns": make_postmortem(
            make_incident(title="DNS outage"),
            body="Resolver timeouts after a config change to the upstream.",
        ),
        "deploy": make_postmortem(
            make_incident(title="Checkout errors"),
            body="A config change shipped without a canary; replication was fine.",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("replication", {"disk", "deploy"}),
        ("resolver", {"dns"}),
        ("config change", {"dns", "deploy"}),
        ("canary replication", {"deploy"}),
        ("checkout", {"deploy"}),
        ("DNS", {"dns"}),
        ("kubernetes", set()),
        ("", set()),
    ],
)
def test_search_finds_postmortems_by_their_words(corpus, viewer, query, expected):
    found = set(search_postmortems(query, user=viewer))

    assert found == {corpus[name] for name in expected}


def test_search_leaves_out_restricted_incidents_for_outsiders(corpus, viewer):
    corpus["dns"].incident.is_restricted = True
    corpus["dns"].incident.save()

    assert set(search_postmortems("resolver", user=viewer)) == set()
