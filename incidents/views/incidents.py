"""Incident pages. Every action is a plain form POST that redirects back to the
incident (so it works without JavaScript); when htmx sends it (``HX-Request``), the
view answers with the refreshed incident part of the page instead of a redirect."""

import csv
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.decorators import role_required
from accounts.models import Role
from accounts.roles import can_respond

from .. import selectors
from ..audit import record_restricted_listing, record_restricted_read
from ..errors import DomainError
from ..filters import IncidentFilter
from ..forms import (
    CauseForm,
    CauseSearchForm,
    DeclareIncidentForm,
    IncidentEditForm,
    NoteForm,
    StatusForm,
    TimesForm,
)
from ..models import Deployment, Incident
from ..services import incidents as incident_services
from ..services.incidents import TIME_FIELDS

PAGE_SIZE = 50


def _incident_or_404(request, key: str) -> Incident:
    incident = selectors.incident_for_page(key, viewer=request.user)
    if incident is None:
        raise Http404("No such incident")
    record_restricted_read(request, incident)
    return incident


def _add_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@role_required(Role.VIEWER)
def incident_list(request):
    filters = IncidentFilter(
        request.GET or None, queryset=selectors.incident_list(viewer=request.user)
    )
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    record_restricted_listing(
        request, count=sum(incident.is_restricted for incident in page.object_list)
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "can_respond": can_respond(request.user),
    }
    template = (
        "incidents/_list_results.html"
        if _is_htmx(request) and request.headers.get("HX-Target") == "incident-results"
        else "incidents/list.html"
    )
    status = 400 if filters.is_bound and not filters.form.is_valid() else 200
    return render(request, template, context, status=status)


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "key",
    "title",
    "severity",
    "status",
    "services",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "commander",
    "impact_percent",
    "caused_by_deployment",
    "cause_source",
    "source",
]


def _utc(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; a title is not one.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def incident_csv_rows(incidents: QuerySet[Incident]) -> Iterator[list[str]]:
    yield CSV_HEADER
    for incident in incidents.iterator(chunk_size=2000):
        yield [
            incident.key,
            _cell(incident.title),
            incident.severity,
            incident.status,
            " ".join(s.slug for s in incident.services.all()),
            *(_utc(getattr(incident, name)) for name in TIME_FIELDS),
            incident.commander.get_username() if incident.commander else "",
            f"{float(incident.impact_percent):g}",
            incident.caused_by_id or "",
            incident.cause_source,
            incident.source,
        ]


@require_GET
@role_required(Role.VIEWER)
def export_csv(request):
    filters = IncidentFilter(
        request.GET or None, queryset=selectors.incident_list(viewer=request.user)
    )
    if filters.is_bound and not filters.form.is_valid():
        return render(
            request,
            "incidents/list.html",
            {"filters": filters, "page": None, "query": ""},
            status=400,
        )

    # Counted up front rather than while streaming, so that a download dropped
    # halfway still leaves its record.
    record_restricted_listing(
        request, count=filters.qs.filter(is_restricted=True).count()
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in incident_csv_rows(filters.qs)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="incidents.csv"'
    return response


def _detail_context(request, incident: Incident, **extra) -> dict:
    search = CauseSearchForm(request.GET or None)
    cause_query = search.cleaned_data["cause_q"] if search.is_valid() else ""
    responder = can_respond(request.user)
    context = {
        "incident": incident,
        "timeline": selectors.incident_timeline(incident),
        "inferred_cause": (
            None
            if incident.caused_by_id
            else selectors.inferred_cause(incident, within=settings.INFER_CAUSE_WITHIN)
        ),
        "can_respond": responder,
        "statuses": [s for s in Incident.Status if s != incident.status],
        "note_form": NoteForm(),
        "cause_search": search,
    }
    if responder:
        context["cause_options"] = (
            selectors.search_deployments(incident, cause_query)
            if cause_query
            else selectors.cause_suggestions(incident)[:20]
        )
        context["cause_query"] = cause_query
    context.update(extra)
    return context


@require_GET
@role_required(Role.VIEWER)
def incident_detail(request, key: str):
    incident = _incident_or_404(request, key)
    return render(request, "incidents/detail.html", _detail_context(request, incident))


@require_GET
@role_required(Role.RESPONDER)
def cause_search(request, key: str):
    incident = _incident_or_404(request, key)
    return render(
        request, "incidents/_cause_options.html", _detail_context(request, incident)
    )


def _after_action(request, key: str, action: Callable[[], object], **extra):
    """Run one service call; report a broken rule as a message, never a 500."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    return _back_to_incident(request, key, **extra)


def _back_to_incident(request, key: str, **extra):
    """A redirect to the incident page, or for htmx its refreshed incident part."""
    if not _is_htmx(request):
        return redirect("incidents:detail", key=key)

    incident = _incident_or_404(request, key)
    return render(
        request,
        "incidents/_incident.html",
        _detail_context(request, incident, oob_counts=True, **extra),
    )


def _refused(request, incident: Incident, message: str, **extra):
    """Answer a form the page cannot act on with the incident page itself, the
    message on top and the forms in ``extra`` holding what was typed, rather than a
    redirect that would lose it. Without JavaScript that is a 400; htmx 2 does not
    swap a 4xx answer, so its fragment comes back as a 200."""
    messages.error(request, message)
    if not _is_htmx(request):
        context = _detail_context(request, incident, **extra)
        return render(request, "incidents/detail.html", context, status=400)

    context = _detail_context(request, incident, oob_counts=True, **extra)
    return render(request, "incidents/_incident.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def declare(request):
    # Not `request.POST or None`: an empty POST is falsy, which would leave the form
    # unbound and answer a blank form without saying what is missing.
    form = DeclareIncidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        impact = data["impact_percent"]
        try:
            incident = incident_services.declare_incident(
                title=data["title"],
                severity=data["severity"],
                services=data["services"],
                summary=data["summary"],
                started_at=data["started_at"],
                commander=data["commander"],
                communications_lead=data["communications_lead"],
                impact_percent=100 if impact is None else impact,
                actor=request.user,
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"{incident.key} declared.")
            return redirect(incident)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/declare.html", {"form": form}, status=status)


@require_POST
@role_required(Role.RESPONDER)
def change_status(request, key: str):
    incident = _incident_or_404(request, key)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, incident, "Pick a valid status.")

    return _after_action(
        request,
        key,
        lambda: incident_services.change_status(
            incident=incident, status=form.cleaned_data["status"], actor=request.user
        ),
    )


@require_POST
@role_required(Role.RESPONDER)
def acknowledge(request, key: str):
    incident = _incident_or_404(request, key)
    return _after_action(
        request,
        key,
        lambda: incident_services.acknowledge(incident=incident, actor=request.user),
    )


@require_POST
@role_required(Role.RESPONDER)
def add_note(request, key: str):
    incident = _incident_or_404(request, key)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            incident_services.add_note(
                incident=incident,
                body=form.cleaned_data["body"],
                tag=form.cleaned_data["tag"],
                actor=request.user,
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            return _back_to_incident(request, key)
    return _refused(
        request, incident, "The note was not added; see why below.", note_form=form
    )


@require_POST
@role_required(Role.RESPONDER)
def link_cause(request, key: str):
    incident = _incident_or_404(request, key)
    form = CauseForm(request.POST)
    if not form.is_valid():
        return _refused(request, incident, "Pick a deployment.")

    deployment_id = form.cleaned_data["deployment"]
    deployment = (
        Deployment.objects.filter(pk=deployment_id).first() if deployment_id else None
    )
    if deployment_id and deployment is None:
        # A deployment deleted since the page was loaded, or a mistyped id.
        return _refused(
            request, incident, f"There is no deployment {deployment_id} to link."
        )

    return _after_action(
        request,
        key,
        lambda: incident_services.link_cause(
            incident=incident, deployment=deployment, actor=request.user
        ),
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def correct_times(request, key: str):
    incident = _incident_or_404(request, key)
    form = TimesForm(request.POST or None, incident=incident)
    if request.method == "POST" and form.is_valid():
        try:
            incident_services.update_incident(
                incident=incident, actor=request.user, **form.changes()
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, "Times corrected.")
            return redirect(incident)
    return render(
        request,
        "incidents/times.html",
        {"incident": incident, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def edit_incident(request, key: str):
    incident = _incident_or_404(request, key)
    form = IncidentEditForm.for_incident(incident, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident_services.update_incident(
                incident=incident, actor=request.user, **form.changes()
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, "Incident updated.")
            return redirect(incident)
    return render(
        request,
        "incidents/edit.html",
        {"incident": incident, "form": form},
        status=400 if form.is_bound else 200,
    )
