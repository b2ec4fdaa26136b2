from django.urls import path

from . import views

app_name = "ops"

# /metrics/ is the DORA dashboard, so Prometheus scrapes /prometheus/metrics.
# /healthz is answered by ops.middleware.LivenessMiddleware, ahead of every check.
urlpatterns = [
    path("health", views.health, name="health"),
    path("prometheus/metrics", views.prometheus_metrics, name="prometheus-metrics"),
]
