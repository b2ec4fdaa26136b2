"""The fixed part of the demo: teams, services, SLOs and the people who log in."""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, User

from accounts.models import Role

from ..models import Service, Team

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "hindsight-demo"

# username, role, full name
DEMO_PEOPLE = (
    ("alice", Role.ADMIN, "Alice Admin"),
    ("bob", Role.RESPONDER, "Bob Responder"),
    ("carol", Role.VIEWER, "Carol Viewer"),
)

TEAMS = (
    ("payments", "Payments"),
    ("platform", "Platform"),
    ("identity", "Identity"),
    ("growth", "Growth"),
    ("data", "Data"),
)


@dataclass(frozen=True)
class ServiceSpec:
    slug: str
    name: str
    team: str
    tier: str
    # Relative share of the releases: critical services ship more often.
    weight: int
    description: str


SERVICES = (
    ServiceSpec("checkout", "Checkout", "payments", "tier1", 9, "Cart and order flow."),
    ServiceSpec("payments-api", "Payments API", "payments", "tier1", 7, "Card auth."),
    ServiceSpec("ledger", "Ledger", "payments", "tier2", 3, "Double-entry ledger."),
    ServiceSpec("api-gateway", "API Gateway", "platform", "tier1", 6, "Edge router."),
    ServiceSpec("notifications", "Notifications", "platform", "tier2", 4, "Mail/push."),
    ServiceSpec("auth", "Auth", "identity", "tier1", 5, "Login and sessions."),
    ServiceSpec("user-profile", "User Profile", "identity", "tier2", 3, "Profiles."),
    ServiceSpec("web-frontend", "Web Frontend", "growth", "tier1", 10, "The web app."),
    ServiceSpec("search", "Search", "growth", "tier2", 5, "Product search."),
    ServiceSpec("recommendations", "Recommendations", "growth", "tier3", 3, "Recs."),
    ServiceSpec("reporting", "Reporting", "data", "tier3", 2, "Finance reports."),
    ServiceSpec("etl-pipeline", "ETL Pipeline", "data", "tier4", 1, "Nightly loads."),
)

# service slug, SLO name, target percent, window days
SLOS = (
    ("checkout", "Availability", "99.9", 30),
    ("payments-api", "Availability", "99.95", 30),
    ("api-gateway", "Availability", "99.9", 30),
    ("auth", "Availability", "99.9", 28),
    ("web-frontend", "Availability", "99.5", 30),
    ("search", "Latency under 300 ms", "99.0", 7),
)


def ensure_catalogue() -> dict[str, Service]:
    """Create what is missing and leave what exists alone (a person may have edited
    a service since), returning the services by slug."""
    teams = {}
    for slug, name in TEAMS:
        teams[slug], _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})

    services = {}
    for spec in SERVICES:
        services[spec.slug], _ = Service.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "team": teams[spec.team],
                "tier": spec.tier,
                "description": spec.description,
                "repository_url": f"https://git.example.com/acme/{spec.slug}",
                "runbook_url": f"https://runbooks.example.com/{spec.slug}",
            },
        )
    _ensure_slos(services)
    return services


def _ensure_slos(services: dict[str, Service]) -> None:
    # Looked up through the app registry: SLOs belong to metrics, which incidents
    # never imports; the demo is the one place that fills both apps.
    slo_model = apps.get_model("metrics", "SLO")
    for slug, name, target, window_days in SLOS:
        slo_model.objects.get_or_create(
            service=services[slug],
            name=name,
            defaults={"target_percent": Decimal(target), "window_days": window_days},
        )


def ensure_demo_people() -> dict[str, User]:
    """alice, bob and carol with the demo password. An existing user keeps the
    password it has (someone may have changed it) but gets its role back."""
    people = {}
    for username, role, full_name in DEMO_PEOPLE:
        first, last = full_name.split()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                # The admin persona may also use Django's admin pages.
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            logger.info("Demo user %s created", username)
        user.groups.add(Group.objects.get(name=role))
        people[username] = user
    return people
