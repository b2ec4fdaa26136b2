from django.urls import path

from . import api

urlpatterns = [
    path("metrics/dora/", api.DoraMetricsView.as_view(), name="metrics-dora"),
]
