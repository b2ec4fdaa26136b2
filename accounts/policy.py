"""The written authorization policy: for every named route, which roles may use which
HTTP methods. tests/test_authorization.py walks every route and checks each role and
method against this table, and fails for a route that is missing here, so a new page
or endpoint cannot ship without a decision about who may use it.

Roles: ``anonymous``; the person roles ``viewer``, ``responder``, ``admin``; and
``integration``, a machine token that may only post deployments and alerts (and ask
the deploy gate)."""

ANONYMOUS = "anonymous"
VIEWER = "viewer"
RESPONDER = "responder"
ADMIN = "admin"
INTEGRATION = "integration"

ROLES = (ANONYMOUS, VIEWER, RESPONDER, ADMIN, INTEGRATION)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

EVERYONE = frozenset(ROLES)
PEOPLE = frozenset({VIEWER, RESPONDER, ADMIN})
WRITERS = frozenset({RESPONDER, ADMIN})
ADMINS = frozenset({ADMIN})


def page(read=PEOPLE, write=frozenset()) -> dict[str, frozenset]:
    return {"GET": read, "POST": write} if write else {"GET": read}


def action(write=WRITERS) -> dict[str, frozenset]:
    """A POST-only form action."""
    return {"POST": write}


POLICY: dict[str, dict[str, frozenset]] = {
    # Accounts
    "login": {"GET": EVERYONE, "POST": EVERYONE},
    "logout": {"POST": EVERYONE},
    "password_change": page(read=PEOPLE, write=PEOPLE),
    "password_change_done": page(),
    # Pages
    "incidents:overview": page(),
    "incidents:list": page(),
    "incidents:declare": page(read=WRITERS, write=WRITERS),
    "incidents:detail": page(),
    "incidents:status": action(),
    "incidents:acknowledge": action(),
    "incidents:note": action(),
    "incidents:cause": action(),
    "incidents:times": page(read=WRITERS, write=WRITERS),
    "incidents:postmortem": page(),
    "incidents:postmortem-start": action(),
    "incidents:postmortem-edit": page(read=WRITERS, write=WRITERS),
    "incidents:postmortems": page(),
    "incidents:postmortem-revisions": page(),
    "incidents:postmortem-export": page(),
    "incidents:postmortem-submit": action(),
    "incidents:postmortem-approve": action(),
    "incidents:postmortem-return": action(),
    "incidents:postmortem-preview": action(),
    "incidents:postmortem-import": page(read=ADMINS, write=ADMINS),
    "incidents:action-item-create": action(),
    "incidents:action-items": page(),
    "incidents:action-item-edit": page(read=WRITERS, write=WRITERS),
    "incidents:service-detail": page(),
    "incidents:services": page(),
    "incidents:service-create": page(read=ADMINS, write=ADMINS),
    "incidents:service-edit": page(read=ADMINS, write=ADMINS),
    "incidents:edit": page(read=WRITERS, write=WRITERS),
    "incidents:export": page(),
    "incidents:cause-search": page(read=WRITERS),
    "profile": page(read=PEOPLE, write=PEOPLE),
    "people": page(read=ADMINS, write=ADMINS),
    "person-update": action(ADMINS),
    "tokens": page(read=ADMINS, write=ADMINS),
    "token-revoke": action(ADMINS),
    "metrics:dashboard": page(),
    "metrics:slo-list": page(),
    "metrics:slo-create": page(read=WRITERS, write=WRITERS),
    "metrics:slo-edit": page(read=WRITERS, write=WRITERS),
    "metrics:slo-delete": action(),
    "metrics:freeze-override": action(ADMINS),
    "metrics:sla": page(),
    "metrics:records": page(),
    # API
    "api-root": {"GET": PEOPLE},
    "api-schema": {"GET": PEOPLE},
    "api-docs": {"GET": PEOPLE},
    "deployment-list": {"GET": PEOPLE, "POST": WRITERS | {INTEGRATION}},
    "deployment-detail": {"GET": PEOPLE, "PATCH": WRITERS | {INTEGRATION}},
    "webhook-alertmanager": {"POST": WRITERS | {INTEGRATION}},
    "slo-list": {"GET": PEOPLE, "POST": WRITERS},
    "slo-detail": {"GET": PEOPLE, "PUT": WRITERS, "PATCH": WRITERS, "DELETE": WRITERS},
    "slo-events": {"GET": PEOPLE, "POST": WRITERS | {INTEGRATION}},
    "gate": {"GET": PEOPLE | {INTEGRATION}},
    "metrics-dora": {"GET": PEOPLE},
    "freeze-override-list": {"GET": PEOPLE, "POST": ADMINS},
    # A pipeline asks for the previous deployment to list the commits since.
    "deployment-previous": {"GET": PEOPLE | {INTEGRATION}},
    "service-list": {"GET": PEOPLE, "POST": ADMINS},
    "service-detail": {"GET": PEOPLE, "PATCH": ADMINS},
    "incident-list": {"GET": PEOPLE, "POST": WRITERS},
    "incident-detail": {"GET": PEOPLE, "PATCH": WRITERS},
    "incident-timeline": {"GET": PEOPLE, "POST": WRITERS},
    "postmortem-list": {"GET": PEOPLE, "POST": WRITERS},
    "postmortem-detail": {"GET": PEOPLE, "PUT": WRITERS, "PATCH": WRITERS},
    "action-item-list": {"GET": PEOPLE, "POST": WRITERS},
    "action-item-detail": {"GET": PEOPLE, "PATCH": WRITERS},
    "api-token-list": {"GET": ADMINS, "POST": ADMINS},
    "api-token-detail": {"GET": ADMINS},
    "api-token-revoke": {"POST": ADMINS},
    "webhook-delivery-list": {"GET": ADMINS},
    "webhook-delivery-detail": {"GET": ADMINS},
    # Authenticated by the sender's signature or token, not by a role: a request
    # without one is refused (401) whoever sends it.
    "webhook-github": {},
    "webhook-gitlab": {},
    "memory-bank": {"GET": PEOPLE},
    "memory-bank-file": {"GET": PEOPLE},
    "memory-bank-archive": {"GET": PEOPLE},
    "metrics:memory-bank": page(),
    # Operations: health for load balancers and probes; Prometheus answers only its
    # METRICS_TOKEN or METRICS_ALLOWED_ADDRESSES, never a role.
    "ops:health": {"GET": EVERYONE},
    "ops:prometheus-metrics": {"GET": frozenset()},
}


def allowed(route: str, method: str, role: str) -> bool:
    return role in POLICY[route].get(method, frozenset())
