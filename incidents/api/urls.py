from django.urls import path
from rest_framework.routers import DefaultRouter

from .alertmanager import AlertmanagerWebhookView
from .deployments import DeploymentViewSet

router = DefaultRouter()
router.register("deployments", DeploymentViewSet, basename="deployment")

urlpatterns = router.urls
urlpatterns.append(
    path(
        "webhooks/alertmanager/",
        AlertmanagerWebhookView.as_view(),
        name="webhook-alertmanager",
    )
)
