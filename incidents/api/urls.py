from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import ApiTokenViewSet

from ..webhooks.views import GitHubWebhookView, GitLabWebhookView
from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
from .alertmanager import AlertmanagerWebhookView
from .deployments import DeploymentViewSet
from .incidents import IncidentViewSet
from .postmortems import ActionItemViewSet, PostmortemViewSet
from .services import ServiceViewSet, WebhookDeliveryViewSet


class ApiRouter(DefaultRouter):
    # Any segment reaches the view, which answers a bad id with the API's JSON 404
    # instead of Django's HTML one (the default pattern stops at a dot).
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        viewset.lookup_value_regex = "[^/]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


router = ApiRouter()
router.register("services", ServiceViewSet, basename="service")
router.register("deployments", DeploymentViewSet, basename="deployment")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("postmortems", PostmortemViewSet, basename="postmortem")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("tokens", ApiTokenViewSet, basename="api-token")
router.register(
    "webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery"
)

urlpatterns = [
    path("webhooks/github/", GitHubWebhookView.as_view(), name="webhook-github"),
    path("webhooks/gitlab/", GitLabWebhookView.as_view(), name="webhook-gitlab"),
    path(
        "webhooks/alertmanager/",
        AlertmanagerWebhookView.as_view(),
        name="webhook-alertmanager",
    ),
    *router.urls,
]
