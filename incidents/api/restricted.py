from ..audit import record_restricted_listing, record_restricted_read
from ..models import Incident


class AuditsRestrictedReads:
    """For a viewset over incidents or rows of one incident: audits each object it
    hands out that belongs to a restricted incident, and each list page that
    includes some, as the incident's own page does."""

    def incident_of(self, obj) -> Incident:
        return obj

    def get_object(self):
        obj = super().get_object()
        record_restricted_read(self.request, self.incident_of(obj))
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        # Other actions (an incident's timeline) page rows that are not incidents.
        if self.action == "list" and page is not None:
            count = sum(self.incident_of(obj).is_restricted for obj in page)
            record_restricted_listing(self.request, count=count)
        return page
