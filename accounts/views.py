from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .decorators import role_required
from .forms import PersonForm, ProfileForm, RoleForm, TokenForm
from .models import TOKEN_USERNAME_PREFIX, ApiToken, Profile, Role
from .roles import person_rank
from .services import (
    TokenError,
    create_api_token,
    create_person,
    revoke_api_token,
    set_active,
    set_role,
    set_time_zone,
)

_RANK_NAMES = {0: "no role", 1: "viewer", 2: "responder", 3: "admin"}


class RefusedFormIs400:
    """Django's form views answer a refused form with 200; Hindsight's pages answer
    400, so that scripts, tests and monitoring can tell a refusal from a page."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordChangeView(RefusedFormIs400, auth_views.PasswordChangeView):
    pass


@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    current = Profile.objects.filter(user=request.user).first()
    initial = {"time_zone": current.time_zone if current else ""}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, "Your time zone is saved.")
        return redirect("profile")
    context = {"form": form, "role": _RANK_NAMES[person_rank(request.user)]}
    return render(
        request,
        "registration/profile.html",
        context,
        status=400 if form.is_bound else 200,
    )


def _role_of(user: User) -> str:
    names = {g.name for g in user.groups.all()}
    return next(
        (r for r in (Role.ADMIN, Role.RESPONDER, Role.VIEWER) if r in names), ""
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def people(request):
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = create_person(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            role=Role(form.cleaned_data["role"]),
            actor=request.user,
        )
        messages.success(request, f"{person.username} can now log in.")
        return redirect("people")
    return _people_page(request, form, status=400 if form.is_bound else 200)


def _people_page(request, form: PersonForm, *, status: int):
    users = (
        User.objects.exclude(username__startswith=TOKEN_USERNAME_PREFIX)
        .prefetch_related("groups")
        .order_by("username")
    )
    rows = [
        (user, RoleForm(initial={"role": _role_of(user), "active": user.is_active}))
        for user in users
    ]
    return render(
        request, "registration/people.html", {"rows": rows, "form": form}, status=status
    )


@require_POST
@role_required(Role.ADMIN)
def person_update(request, pk: int):
    person = get_object_or_404(
        User.objects.exclude(username__startswith=TOKEN_USERNAME_PREFIX), pk=pk
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Pick a valid role for {person.username}.")
        return _people_page(request, PersonForm(), status=400)
    if person == request.user:
        # An admin taking their own rights away could leave nobody to give them back.
        messages.error(request, "Ask another admin to change your own role.")
        return redirect("people")

    role = form.cleaned_data["role"]
    set_role(user=person, role=Role(role) if role else None, actor=request.user)
    set_active(user=person, active=form.cleaned_data["active"], actor=request.user)
    messages.success(request, f"{person.username} updated.")
    return redirect("people")


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def tokens(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = create_api_token(
                name=form.cleaned_data["name"], created_by=request.user
            )
        except TokenError as error:
            form.add_error("name", str(error))
        else:
            # Shown in this response only: not in a message, which the session keeps.
            created = {"token": token, "raw": raw}
            form = TokenForm()
    context = {
        "tokens": ApiToken.objects.select_related("user").order_by("name"),
        "form": form,
        "created": created,
    }
    failed = form.is_bound and not form.is_valid()
    return render(
        request, "registration/tokens.html", context, status=400 if failed else 200
    )


@require_POST
@role_required(Role.ADMIN)
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    revoke_api_token(token=token, actor=request.user)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("tokens")
