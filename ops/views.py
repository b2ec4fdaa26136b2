import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .apps import OpsConfig
from .health import UNHEALTHY, health_report
from .prometheus import exposition
from .version import hindsight_version


@never_cache
@require_GET
def health(request):
    report = health_report(version=hindsight_version(), started_at=OpsConfig.started_at)
    return JsonResponse(report, status=503 if report["status"] == UNHEALTHY else 200)


def _may_scrape(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)

    try:
        caller = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_ADDRESSES:
        if caller in ipaddress.ip_network(allowed, strict=False):
            return True
    return False


@never_cache
@require_GET
def prometheus_metrics(request):
    if not _may_scrape(request):
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
