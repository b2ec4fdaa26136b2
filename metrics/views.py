from django.shortcuts import render

from accounts.decorators import role_required
from accounts.models import Role


@role_required(Role.VIEWER)
def dashboard(request):
    return render(request, "metrics/dashboard.html", {})
