from datetime import timedelta

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.models import Role

from .. import selectors
from ..models import Service


@require_GET
@role_required(Role.VIEWER)
def overview(request):
    context = {
        "open_incidents": selectors.incident_list().filter(is_resolved=0)[:20],
        "recent_deployments": selectors.recent_deployments(
            since=timezone.now() - timedelta(days=7)
        )[:20],
    }
    return render(request, "incidents/overview.html", context)


@require_GET
@role_required(Role.VIEWER)
def service_detail(request, slug: str):
    service = get_object_or_404(Service.objects.select_related("team"), slug=slug)
    context = {
        "service": service,
        "deployments": service.deployments.order_by("-finished_at", "-id")[:50],
        "incidents": service.incidents.order_by("-started_at")[:50],
    }
    return render(request, "incidents/service_detail.html", context)
