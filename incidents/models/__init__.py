from .catalogue import Service, Team
from .deployments import Commit, Deployment
from .incidents import Incident, TimelineEntry
from .notifications import OutgoingWebhook, WebhookDelivery
from .postmortems import ActionItem, Postmortem, PostmortemRevision

__all__ = [
    "ActionItem",
    "Commit",
    "Deployment",
    "Incident",
    "OutgoingWebhook",
    "Postmortem",
    "PostmortemRevision",
    "Service",
    "Team",
    "TimelineEntry",
    "WebhookDelivery",
]
