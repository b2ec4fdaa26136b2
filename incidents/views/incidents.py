from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.decorators import role_required
from accounts.models import Role
from accounts.roles import can_respond

from .. import selectors
from ..errors import DomainError
from ..forms import CauseForm, DeclareIncidentForm, NoteForm, StatusForm, TimesForm
from ..models import Deployment, Incident
from ..services import incidents as incident_services


def _incident_or_404(key: str) -> Incident:
    incident = selectors.get_incident(key)
    if incident is None:
        raise Http404("No such incident")
    return incident


@require_GET
@role_required(Role.VIEWER)
def incident_list(request):
    page = Paginator(selectors.incident_list(), 50).get_page(request.GET.get("page"))
    return render(request, "incidents/list.html", {"page": page})


@require_GET
@role_required(Role.VIEWER)
def incident_detail(request, key: str):
    incident = _incident_or_404(key)
    context = {
        "incident": incident,
        "timeline": incident.timeline.select_related("author"),
        "inferred_cause": (
            None
            if incident.caused_by_id
            else selectors.inferred_cause(incident, within=settings.INFER_CAUSE_WITHIN)
        ),
        "can_respond": can_respond(request.user),
        "note_form": NoteForm(),
        "times_form": TimesForm(
            initial={f: getattr(incident, f) for f in TimesForm.base_fields}
        ),
        "statuses": [s for s in Incident.Status if s != incident.status],
        "suggestions": selectors.cause_suggestions(incident)[:10],
    }
    return render(request, "incidents/detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def declare(request):
    form = DeclareIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = incident_services.declare_incident(
            title=data["title"],
            severity=data["severity"],
            services=data["services"],
            summary=data["summary"],
            started_at=data["started_at"],
            actor=request.user,
        )
        messages.success(request, f"{incident.key} declared.")
        return redirect(incident)
    return render(request, "incidents/declare.html", {"form": form})


def _run(request, incident: Incident, action) -> None:
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)


@require_POST
@role_required(Role.RESPONDER)
def change_status(request, key: str):
    incident = _incident_or_404(key)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a valid status.")
        return redirect(incident)

    _run(
        request,
        incident,
        lambda: incident_services.change_status(
            incident=incident, status=form.cleaned_data["status"], actor=request.user
        ),
    )
    return redirect(incident)


@require_POST
@role_required(Role.RESPONDER)
def acknowledge(request, key: str):
    incident = _incident_or_404(key)
    _run(
        request,
        incident,
        lambda: incident_services.acknowledge(incident=incident, actor=request.user),
    )
    return redirect(incident)


@require_POST
@role_required(Role.RESPONDER)
def add_note(request, key: str):
    incident = _incident_or_404(key)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A note needs some text.")
        return redirect(incident)

    _run(
        request,
        incident,
        lambda: incident_services.add_note(
            incident=incident,
            body=form.cleaned_data["body"],
            tag=form.cleaned_data["tag"],
            actor=request.user,
        ),
    )
    return redirect(incident)


@require_POST
@role_required(Role.RESPONDER)
def link_cause(request, key: str):
    incident = _incident_or_404(key)
    form = CauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a deployment.")
        return redirect(incident)

    deployment_id = form.cleaned_data["deployment"]
    deployment = (
        get_object_or_404(Deployment, pk=deployment_id) if deployment_id else None
    )
    _run(
        request,
        incident,
        lambda: incident_services.link_cause(
            incident=incident, deployment=deployment, actor=request.user
        ),
    )
    return redirect(incident)


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def correct_times(request, key: str):
    incident = _incident_or_404(key)
    form = TimesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident_services.update_incident(
                incident=incident, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Times corrected.")
            return redirect(incident)
    return render(
        request,
        "incidents/times.html",
        {"incident": incident, "form": form},
        status=200,
    )
