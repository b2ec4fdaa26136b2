"""Walk every route, for every role and method, against accounts/policy.py."""

import re

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import policy
from accounts.models import Role

from .factories import (
    make_deployment,
    make_incident,
    make_postmortem,
    make_service,
    make_token,
    make_user,
)

SKIPPED_PREFIXES = ("admin/", "static/", "media/")
# Tables that a read legitimately touches: sessions are renewed on every request,
# tokens note when they were last used, and the audit trail and login throttling
# record refusals.
VOLATILE = {
    "accounts_apitoken",
    "django_session",
    "accounts_auditevent",
    "axes_accessattempt",
    "axes_accesslog",
}


def iter_routes(patterns=None, prefix="", namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}".strip(":") if ns else namespace
            yield from iter_routes(
                entry.url_patterns, prefix + str(entry.pattern), full_ns
            )
        elif isinstance(entry, URLPattern) and entry.name:
            route = prefix + str(entry.pattern)
            if route.startswith(SKIPPED_PREFIXES) or "format" in str(entry.pattern):
                continue
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, route


def concrete(route: str, values: dict[str, str]) -> str:
    """Turn 'incidents/<str:key>/' or DRF's '^deployments/(?P<pk>[^/.]+)/$' into a
    real path using sample objects."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
    return "/" + path.replace("^", "").replace("$", "")


def fingerprint() -> dict[str, tuple]:
    """Row count and a digest of every table outside VOLATILE."""
    state = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in VOLATILE:
            continue
        rows = model.objects.order_by("pk").values_list()
        state[table] = (len(rows), hash(tuple(map(repr, rows))))
    return state


@pytest.fixture
def world(db):
    service = make_service("checkout")
    incident = make_incident([service])
    make_postmortem(incident)
    deployment = make_deployment(service)
    clients = {policy.ANONYMOUS: Client()}
    for role in (Role.VIEWER, Role.RESPONDER, Role.ADMIN):
        client = Client()
        client.force_login(make_user(f"walker-{role}", role))
        clients[str(role)] = client
    token = make_token("walker", Role.INTEGRATION)
    clients[policy.INTEGRATION] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    values = {
        "key": incident.key,
        "pk": str(deployment.pk),
        "slug": service.slug,
        "name": "CLAUDE-incidents.md",
        "kind": "failures",
    }
    return clients, values


def denied(response) -> bool:
    if response.status_code in (401, 403, 405):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith("/accounts/login/?next=")


def test_every_route_has_a_written_policy():
    missing = {name for name, _ in iter_routes()} - set(policy.POLICY)

    assert not missing, f"Add these routes to accounts/policy.py: {sorted(missing)}"


def test_every_role_gets_exactly_what_the_policy_allows(world):
    clients, values = world
    mismatches, checked, allowed_count = [], 0, 0

    for name, route in sorted(iter_routes()):
        path = concrete(route, values)
        for role in policy.ROLES:
            for method in policy.METHODS:
                response = _send(clients[role], method, path)
                expected = policy.allowed(name, method, role)
                checked += 1
                allowed_count += expected
                if denied(response) == expected:
                    mismatches.append(
                        f"{role} {method} {path} -> {response.status_code}"
                    )

    assert not mismatches, "\n".join(mismatches)
    print(
        f"\nauthorization: {checked} route x role x method checks, "
        f"{allowed_count} allowed by the policy"
    )


def test_no_get_changes_anything(world):
    clients, values = world
    before = fingerprint()

    for _, route in iter_routes():
        for role in policy.ROLES:
            clients[role].get(concrete(route, values))

    assert fingerprint() == before


def _send(client, method: str, path: str):
    # Each request runs in a transaction that is rolled back, and the client's cookies
    # are restored, so one request (a logout, say) cannot change what the next sees.
    cookies = client.cookies.__class__(client.cookies)
    with transaction.atomic():
        response = (
            getattr(client, method.lower())(
                path, data="{}", content_type="application/json"
            )
            if method != "GET"
            else client.get(path)
        )
        transaction.set_rollback(True)
    client.cookies = cookies
    return response
