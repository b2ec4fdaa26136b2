from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.models import Role
from incidents.errors import DomainError

from .dora import records
from .dora.dashboard import dashboard_context
from .dora.params import parse_dora_request

RECORD_LOADERS = {
    "deployments": records.deployments,
    "commits": records.slowest_commits,
    "failures": records.failed_deployments,
    "recovery": records.failed_deployments,
    "incidents": records.restored_incidents,
    "rework": records.rework,
}


@require_GET
@role_required(Role.VIEWER)
def dashboard(request):
    try:
        params = parse_dora_request(request.GET, pages=True)
        context = dashboard_context(params)
    except DomainError as error:
        context = {"error": error, "query": request.GET}
        return render(request, "metrics/dashboard.html", context, status=400)
    return render(request, "metrics/dashboard.html", context)


@require_GET
@role_required(Role.VIEWER)
def records_page(request, kind: str):
    if kind not in RECORD_LOADERS:
        raise Http404("No such list of records.")
    try:
        params = parse_dora_request(request.GET, pages=True)
        rows = RECORD_LOADERS[kind](**params.as_kwargs(), user=request.user)
    except DomainError as error:
        context = {"error": error, "kind": kind, "title": records.KINDS[kind]}
        return render(request, "metrics/records.html", context, status=400)
    context = {
        "kind": kind,
        "title": records.KINDS[kind],
        "rows": rows,
        "params": params,
        "limit": records.LIMIT,
    }
    return render(request, "metrics/records.html", context)
