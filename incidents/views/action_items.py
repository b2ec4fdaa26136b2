from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.decorators import role_required
from accounts.models import Role

from .. import postmortem_selectors as pm_selectors
from ..errors import DomainError
from ..models import ActionItem, Service, Team
from ..postmortem_forms import ActionItemFilterForm, ActionItemForm
from ..services import action_items as action_item_services
from .postmortems import _postmortem_or_404


@require_GET
@role_required(Role.VIEWER)
def action_item_list(request):
    form = ActionItemFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = list(
        pm_selectors.open_action_items(
            user=request.user,
            owner=filters.get("owner", ""),
            service=filters.get("service", ""),
            team=filters.get("team", ""),
        )[:500]
    )
    today = timezone.localdate()
    return render(
        request,
        "incidents/action_items.html",
        {
            "form": form,
            "overdue": [i for i in items if i.due_date and i.due_date < today],
            "open": [i for i in items if not i.due_date or i.due_date >= today],
            "services": Service.objects.order_by("slug"),
            "teams": Team.objects.order_by("slug"),
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@require_POST
@role_required(Role.RESPONDER)
def action_item_create(request, key: str):
    postmortem = _postmortem_or_404(request, key)
    form = ActionItemForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            action_item_services.add_action_item(
                postmortem=postmortem, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Action item added.")
            return redirect(postmortem)
    return render(
        request,
        "incidents/action_items_form.html",
        {"form": form, "postmortem": postmortem, "item": None},
        status=400,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def action_item_edit(request, pk: int):
    item = get_object_or_404(
        ActionItem.objects.select_related("postmortem__incident"), pk=pk
    )
    if not item.postmortem.incident.is_visible_to(request.user):
        raise Http404("No such action item")
    form = ActionItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            action_item_services.update_action_item(
                item=item, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Action item saved.")
            return redirect(item.postmortem)
    return render(
        request,
        "incidents/action_items_form.html",
        {"form": form, "postmortem": item.postmortem, "item": item},
        status=400 if form.is_bound and form.errors else 200,
    )
