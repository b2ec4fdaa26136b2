from django.urls import path

from . import views
from .memory_bank import views as memory_bank
from .slo.urls import slo_urlpatterns

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/<slug:kind>/", views.records_page, name="records"),
    path("memory-bank/", memory_bank.preview, name="memory-bank"),
    *slo_urlpatterns,
]
