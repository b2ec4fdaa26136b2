from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.models import Role


@require_GET
@role_required(Role.VIEWER)
def dashboard(request):
    return render(request, "metrics/dashboard.html", {})
