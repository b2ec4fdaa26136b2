"""Routes of the SLO pages, included into metrics/urls.py (namespace ``metrics``)."""

from django.urls import path

from .. import views_slo

slo_urlpatterns = [
    path("slos/", views_slo.slo_list, name="slo-list"),
    path("slos/new/", views_slo.slo_create, name="slo-create"),
    path("slos/<int:pk>/edit/", views_slo.slo_edit, name="slo-edit"),
    path("slos/<int:pk>/delete/", views_slo.slo_delete, name="slo-delete"),
    path(
        "services/<slug:slug>/override/",
        views_slo.override_create,
        name="freeze-override",
    ),
    path("sla/", views_slo.sla, name="sla"),
]
