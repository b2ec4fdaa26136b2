from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import role_required
from accounts.models import Role
from accounts.roles import can_administer, can_respond

from .. import selectors
from ..forms import ServiceForm
from ..models import Service
from ..services.catalogue import save_service

OVERVIEW_INCIDENTS = 20


@require_GET
@role_required(Role.VIEWER)
def overview(request):
    open_incidents = selectors.open_incidents_most_severe_first(viewer=request.user)
    shown = list(open_incidents[:OVERVIEW_INCIDENTS])
    context = {
        "open_incidents": shown,
        "more_open_incidents": open_incidents.count() - len(shown),
        "recent_deployments": selectors.recent_deployments(
            since=timezone.now() - timedelta(days=7)
        )[:20],
        "can_respond": can_respond(request.user),
    }
    return render(request, "incidents/overview.html", context)


@require_GET
@role_required(Role.VIEWER)
def service_list(request):
    services = Service.objects.select_related("team").order_by("slug")
    return render(
        request,
        "incidents/service_list.html",
        {"services": services, "can_administer": can_administer(request.user)},
    )


@require_GET
@role_required(Role.VIEWER)
def service_detail(request, slug: str):
    service = get_object_or_404(Service.objects.select_related("team"), slug=slug)
    return render_service_page(request, service)


def render_service_page(request, service: Service, *, status: int = 200, **extra):
    """The service page. Forms posted from its SLO panel (which metrics/ adds through
    a template tag) answer a refusal with it, passing their bound form in
    ``extra``."""
    context = {
        "service": service,
        "deployments": service.deployments.order_by("-finished_at", "-id")[:50],
        "incidents": selectors.incident_list(viewer=request.user)
        .filter(services=service)
        .order_by("-started_at", "-id")[:50],
        "can_administer": can_administer(request.user),
        **extra,
    }
    return render(request, "incidents/service_detail.html", context, status=status)


def _service_form(request, service: Service | None):
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        saved = save_service(service=service, actor=request.user, **form.cleaned_data)
        messages.success(request, f"Service {saved.slug} saved.")
        return redirect(saved)
    return render(
        request,
        "incidents/service_form.html",
        {"form": form, "service": service},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def service_create(request):
    return _service_form(request, None)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def service_edit(request, slug: str):
    return _service_form(request, get_object_or_404(Service, slug=slug))
