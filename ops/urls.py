from django.urls import path

from . import views

app_name = "ops"

# /metrics/ is the DORA dashboard, so Prometheus scrapes /prometheus/metrics.
urlpatterns = [
    path("health", views.health, name="health"),
    path("healthz", views.healthz, name="healthz"),
    path("prometheus/metrics", views.prometheus_metrics, name="prometheus-metrics"),
]
