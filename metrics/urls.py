from django.urls import path

from . import views
from .slo.urls import slo_urlpatterns

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/<slug:kind>/", views.records_page, name="records"),
    *slo_urlpatterns,
]
