from django import template

from metrics.slo.context import service_slo_context
from metrics.slo.forms import OverrideForm

register = template.Library()


@register.inclusion_tag("metrics/_service_slo.html", takes_context=True)
def service_slo(context, service):
    """``{% service_slo service %}``: the SLO panel of a service page. A tag rather
    than view context because incidents/ must not import metrics/."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        **service_slo_context(service, user=user),
        "request": request,
        "csrf_token": context.get("csrf_token"),
        # Bound when the page answers a refused override, so its errors show.
        "override_form": context.get("override_form") or OverrideForm(),
    }
