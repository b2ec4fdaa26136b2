from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/<slug:kind>/", views.records_page, name="records"),
]
