from django.contrib import messages
from django.http import Http404
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
from ..errors import ConflictError, DomainError
from ..forms import PostmortemForm
from ..models import Postmortem
from ..services import postmortems as postmortem_services


def _postmortem_or_404(key: str) -> Postmortem:
    incident = selectors.get_incident(key)
    postmortem = getattr(incident, "postmortem", None) if incident else None
    if postmortem is None:
        raise Http404("No postmortem for this incident")
    return postmortem


@require_GET
@role_required(Role.VIEWER)
def postmortem_list(request):
    postmortems = Postmortem.objects.select_related("incident").order_by("-created_at")
    return render(
        request, "incidents/postmortem_list.html", {"postmortems": postmortems}
    )


@require_GET
@role_required(Role.VIEWER)
def postmortem_detail(request, key: str):
    postmortem = _postmortem_or_404(key)
    return render(
        request,
        "incidents/postmortem_detail.html",
        {"postmortem": postmortem, "can_respond": can_respond(request.user)},
    )


@require_POST
@role_required(Role.RESPONDER)
def postmortem_start(request, key: str):
    incident = selectors.get_incident(key)
    if incident is None:
        raise Http404("No such incident")
    try:
        postmortem = postmortem_services.start_postmortem(
            incident=incident, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(incident)
    return redirect("incidents:postmortem-edit", key=postmortem.incident.key)


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def postmortem_edit(request, key: str):
    postmortem = _postmortem_or_404(key)
    form = PostmortemForm(
        request.POST or None,
        initial={"body": postmortem.body, "version": postmortem.version},
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            postmortem_services.save_postmortem(
                postmortem=postmortem,
                body=form.cleaned_data["body"],
                base_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ConflictError as error:
            # Keep the person's text in the form and show the newer one beside it.
            postmortem.refresh_from_db()
            conflict = {"message": error.message, "current": postmortem}
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Postmortem saved.")
            return redirect(postmortem)
    return render(
        request,
        "incidents/postmortem_edit.html",
        {"postmortem": postmortem, "form": form, "conflict": conflict},
        status=409 if conflict else 200,
    )
