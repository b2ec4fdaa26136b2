from .catalogue import Service, Team
from .deployments import Commit, Deployment
from .idempotency import IdempotencyKey
from .incidents import Incident, TimelineEntry
from .notifications import OutgoingWebhook, WebhookDelivery
from .postmortems import (
    ActionItem,
    ActionItemDigest,
    BlamelessPhrase,
    Postmortem,
    PostmortemRevision,
    PostmortemTemplate,
)

__all__ = [
    "ActionItem",
    "ActionItemDigest",
    "BlamelessPhrase",
    "Commit",
    "Deployment",
    "IdempotencyKey",
    "Incident",
    "OutgoingWebhook",
    "Postmortem",
    "PostmortemRevision",
    "PostmortemTemplate",
    "Service",
    "Team",
    "TimelineEntry",
    "WebhookDelivery",
]
