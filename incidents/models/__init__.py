from .catalogue import Service, Team
from .deployments import Commit, Deployment
from .incidents import Incident, TimelineEntry
from .postmortems import ActionItem, Postmortem, PostmortemRevision

__all__ = [
    "ActionItem",
    "Commit",
    "Deployment",
    "Incident",
    "Postmortem",
    "PostmortemRevision",
    "Service",
    "Team",
    "TimelineEntry",
]
