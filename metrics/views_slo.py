"""Pages for SLOs, freeze overrides and the SLA report."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.decorators import role_required
from accounts.models import Role
from accounts.roles import can_respond
from incidents.errors import DomainError
from incidents.models import Service
from incidents.views.overview import render_service_page

from .models import SLO
from .slo import services as slo_services
from .slo import slo_statuses
from .slo.forms import OverrideForm, SLOForm
from .slo.selectors import slos_with_service
from .slo.sla import sla_report


@require_GET
@role_required(Role.VIEWER)
def slo_list(request):
    slos = sorted(slos_with_service(), key=lambda slo: (slo.service.slug, slo.name))
    rows = [
        {"slo": slo, "budget": budget}
        for slo, budget in zip(slos, slo_statuses(slos), strict=True)
    ]
    context = {"rows": rows, "can_manage_slos": can_respond(request.user)}
    return render(request, "metrics/slo_list.html", context)


def _save(request, form, slo=None):
    try:
        return slo_services.save_slo(slo=slo, actor=request.user, **form.cleaned_data)
    except DomainError as error:
        form.add_error(error.field, error.message)
        return None


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def slo_create(request):
    initial = {"service": request.GET.get("service")}
    form = SLOForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        slo = _save(request, form)
        if slo is not None:
            messages.success(request, f"SLO {slo.name} created.")
            return redirect(slo.service.get_absolute_url())
    return render(
        request,
        "metrics/slo_form.html",
        {"form": form, "slo": None},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def slo_edit(request, pk: int):
    slo = get_object_or_404(SLO.objects.select_related("service"), pk=pk)
    form = SLOForm(request.POST or None, instance=slo)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, slo=slo)
        if saved is not None:
            messages.success(request, f"SLO {saved.name} saved.")
            return redirect(saved.service.get_absolute_url())
    return render(
        request,
        "metrics/slo_form.html",
        {"form": form, "slo": slo},
        status=400 if form.is_bound else 200,
    )


@require_POST
@role_required(Role.RESPONDER)
def slo_delete(request, pk: int):
    slo = get_object_or_404(SLO.objects.select_related("service"), pk=pk)
    service = slo.service
    slo_services.delete_slo(slo=slo, actor=request.user)
    messages.success(request, f"SLO {slo.name} deleted.")
    return redirect(service.get_absolute_url())


@require_POST
@role_required(Role.ADMIN)
def override_create(request, slug: str):
    service = get_object_or_404(Service, slug=slug)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            slo_services.override_freeze(
                service=service, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            messages.success(request, "Freeze overridden.")
            return redirect(service.get_absolute_url())

    # The service page again, the errors beside their fields and the reason as
    # typed, rather than a redirect that would lose it.
    messages.error(request, "The freeze was not overridden; see why below.")
    return render_service_page(request, service, status=400, override_form=form)


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _number(value: float | None, places: int) -> str:
    # An empty cell, not 0 or 100, where there is no data.
    return "" if value is None else f"{value:.{places}f}"


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


@require_GET
@role_required(Role.VIEWER)
def sla(request):
    report = sla_report(user=request.user)
    export = request.GET.get("export")
    if export == "availability":
        return _csv(
            "sla-availability.csv",
            ["service", "month", "availability_percent", "impact_minutes", "met"],
            (
                [
                    row.service.slug,
                    figure.month.label,
                    _number(figure.availability, 4),
                    _number(figure.impact_minutes, 1),
                    "" if figure.met is None else ("yes" if figure.met else "no"),
                ]
                for row in report.rows
                for figure in row.months
            ),
        )
    if export == "missed":
        return _csv(
            "sla-missed.csv",
            [
                "incident",
                "services",
                "severity",
                "started_at",
                "acknowledged_at",
                "resolved_at",
                "missed_response",
                "missed_resolution",
            ],
            (
                [
                    m.incident.key,
                    " ".join(s.slug for s in m.incident.services.all()),
                    m.incident.severity,
                    _iso(m.incident.started_at),
                    _iso(m.incident.acknowledged_at),
                    _iso(m.incident.resolved_at),
                    "yes" if m.missed_response else "no",
                    "yes" if m.missed_resolution else "no",
                ]
                for m in report.missed
            ),
        )
    return render(request, "metrics/sla.html", {"report": report})
