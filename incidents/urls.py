from django.urls import path

from .views import incidents, overview, postmortems

app_name = "incidents"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("incidents/", incidents.incident_list, name="list"),
    path("incidents/declare/", incidents.declare, name="declare"),
    path("incidents/export.csv", incidents.export_csv, name="export"),
    path("incidents/<str:key>/", incidents.incident_detail, name="detail"),
    path("incidents/<str:key>/status/", incidents.change_status, name="status"),
    path("incidents/<str:key>/acknowledge/", incidents.acknowledge, name="acknowledge"),
    path("incidents/<str:key>/notes/", incidents.add_note, name="note"),
    path("incidents/<str:key>/cause/", incidents.link_cause, name="cause"),
    path("incidents/<str:key>/times/", incidents.correct_times, name="times"),
    path("incidents/<str:key>/edit/", incidents.edit_incident, name="edit"),
    path(
        "incidents/<str:key>/cause/search/",
        incidents.cause_search,
        name="cause-search",
    ),
    path(
        "incidents/<str:key>/postmortem/",
        postmortems.postmortem_detail,
        name="postmortem",
    ),
    path(
        "incidents/<str:key>/postmortem/start/",
        postmortems.postmortem_start,
        name="postmortem-start",
    ),
    path(
        "incidents/<str:key>/postmortem/edit/",
        postmortems.postmortem_edit,
        name="postmortem-edit",
    ),
    path("postmortems/", postmortems.postmortem_list, name="postmortems"),
    path("services/", overview.service_list, name="services"),
    path("services/new/", overview.service_create, name="service-create"),
    path("services/<slug:slug>/", overview.service_detail, name="service-detail"),
    path("services/<slug:slug>/edit/", overview.service_edit, name="service-edit"),
]
