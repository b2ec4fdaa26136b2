from django.urls import path

from . import api
from .api_slo import urlpatterns as slo_urlpatterns

urlpatterns = [
    path("metrics/dora/", api.DoraMetricsView.as_view(), name="metrics-dora"),
    *slo_urlpatterns,
]
