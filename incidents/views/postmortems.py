from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.decorators import role_required
from accounts.models import Role
from accounts.roles import can_respond

from .. import postmortem_selectors as pm_selectors
from .. import selectors
from ..audit import record_restricted_read
from ..blameless import check_text
from ..errors import ConflictError, DomainError
from ..markdown import render_markdown
from ..models import Postmortem
from ..postmortem_forms import ActionItemForm, ImportForm, PostmortemForm, PreviewForm
from ..postmortem_io import export_postmortem, import_postmortem
from ..postmortem_text import line_diff, merge_texts
from ..services import postmortems as postmortem_services

TRANSITIONS = {
    "submit": (postmortem_services.submit_for_review, "Sent to review."),
    "approve": (postmortem_services.approve_postmortem, "Approved and published."),
    "return": (postmortem_services.return_to_draft, "Returned to draft."),
}


def _postmortem_or_404(request, key: str) -> Postmortem:
    postmortem = pm_selectors.get_postmortem(key, user=request.user)
    if postmortem is None:
        raise Http404("No postmortem for this incident")
    record_restricted_read(request, postmortem.incident)
    return postmortem


@require_GET
@role_required(Role.VIEWER)
def postmortem_list(request):
    query = request.GET.get("q", "").strip()
    postmortems = (
        pm_selectors.search_postmortems(query, user=request.user)
        if query
        else pm_selectors.postmortem_list(request.user)
    )
    due = pm_selectors.postmortems_due(user=request.user)
    return render(
        request,
        "incidents/postmortem_list.html",
        {
            "postmortems": postmortems[:200],
            "query": query,
            "due": [entry for entry in due if not entry.is_overdue],
            "overdue": [entry for entry in due if entry.is_overdue],
            "due_days": pm_selectors.due_days(),
        },
    )


@require_GET
@role_required(Role.VIEWER)
def postmortem_detail(request, key: str):
    postmortem = _postmortem_or_404(request, key)
    responder = can_respond(request.user)
    return render(
        request,
        "incidents/postmortem_detail.html",
        {
            "postmortem": postmortem,
            "can_respond": responder,
            "findings": check_text(postmortem.body) if responder else [],
            "action_items": postmortem.action_items.select_related("owner"),
            "action_form": ActionItemForm(prefix="new") if responder else None,
        },
    )


@require_POST
@role_required(Role.RESPONDER)
def postmortem_start(request, key: str):
    incident = selectors.get_incident(key)
    if incident is None or not incident.is_visible_to(request.user):
        raise Http404("No such incident")
    try:
        postmortem = postmortem_services.start_postmortem(
            incident=incident, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(incident)
    return redirect("incidents:postmortem-edit", key=postmortem.incident.key)


def _edit_page(request, postmortem, form, *, preview=None, conflict=None, status=200):
    body = form.data.get("body", postmortem.body) if form.is_bound else postmortem.body
    return render(
        request,
        "incidents/postmortem_edit.html",
        {
            "postmortem": postmortem,
            "form": form,
            "preview": preview,
            "findings": check_text(body) if preview is not None or conflict else [],
            "conflict": conflict,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.RESPONDER)
def postmortem_edit(request, key: str):
    """Save, or (the "Preview" button, which works without JavaScript) show the
    rendered text and the blameless-language warnings without saving."""
    postmortem = _postmortem_or_404(request, key)
    if request.method != "POST":
        form = PostmortemForm(
            initial={"body": postmortem.body, "version": postmortem.version}
        )
        return _edit_page(request, postmortem, form)

    form = PostmortemForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, postmortem, form, status=400)
    body = form.cleaned_data["body"]
    if "preview" in request.POST:
        return _edit_page(request, postmortem, form, preview=render_markdown(body))

    try:
        postmortem_services.save_postmortem(
            postmortem=postmortem,
            body=body,
            base_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except ConflictError as error:
        return _conflict_page(request, postmortem, form, error)
    except DomainError as error:
        form.add_error(
            error.field if error.field in form.fields else None, error.message
        )
        return _edit_page(request, postmortem, form, status=400)
    messages.success(request, "Postmortem saved.")
    return redirect(postmortem)


def _conflict_page(request, postmortem, form, error):
    """Keep the person's text in the form, show the newer one beside it with the
    diff from it to theirs, and base the next save on the newer version."""
    postmortem.refresh_from_db()
    data = form.data.copy()
    data["version"] = str(postmortem.version)
    merged_form = PostmortemForm(data)
    merged_form.is_valid()
    mine = form.cleaned_data["body"]
    base = pm_selectors.revision_body(postmortem, form.cleaned_data["version"])
    conflict = {
        "message": error.message,
        "current": postmortem,
        "diff": line_diff(postmortem.body, mine),
        "merged": None if base is None else merge_texts(base, postmortem.body, mine),
    }
    return _edit_page(request, postmortem, merged_form, conflict=conflict, status=409)


@require_POST
@role_required(Role.RESPONDER)
def postmortem_preview(request):
    """The rendered, sanitized HTML of the posted text, as a fragment for htmx or
    any script that wants a live preview."""
    form = PreviewForm(request.POST)
    form.is_valid()
    body = form.cleaned_data.get("body", "")
    return render(
        request,
        "incidents/postmortem_preview.html",
        {"preview": render_markdown(body), "findings": check_text(body)},
    )


@require_POST
@role_required(Role.RESPONDER)
def postmortem_transition(request, key: str, action: str):
    postmortem = _postmortem_or_404(request, key)
    if action not in TRANSITIONS:
        raise Http404("No such action")
    change, done = TRANSITIONS[action]
    try:
        change(postmortem=postmortem, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(postmortem)


@require_GET
@role_required(Role.VIEWER)
def postmortem_revisions(request, key: str):
    postmortem = _postmortem_or_404(request, key)
    return render(
        request,
        "incidents/postmortem_revisions.html",
        {
            "postmortem": postmortem,
            "revisions": pm_selectors.revisions_with_diffs(postmortem),
        },
    )


@require_GET
@role_required(Role.VIEWER)
def postmortem_export(request, key: str):
    postmortem = _postmortem_or_404(request, key)
    response = HttpResponse(
        export_postmortem(postmortem).encode("utf-8"),
        content_type="text/markdown; charset=utf-8",
    )
    filename = f"postmortem-{postmortem.incident.key}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Importing can create an incident, so it is for admins, not every responder.
@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def postmortem_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            postmortem = import_postmortem(
                text=form.cleaned_data["text"], actor=request.user
            )
        except DomainError as error:
            # The message names the front-matter field; it shows on whichever input
            # held the file, and pasted text comes back for correcting.
            form.add_error(
                "file" if form.cleaned_data.get("file") else "text", error.message
            )
        else:
            messages.success(request, "Postmortem imported.")
            return redirect(postmortem)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "incidents/postmortem_import.html", {"form": form}, status=status
    )
