from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .forms import ProfileForm
from .models import Profile
from .roles import person_rank
from .services import set_time_zone

_RANK_NAMES = {0: "no role", 1: "viewer", 2: "responder", 3: "admin"}


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
