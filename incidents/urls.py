from django.urls import path

from .views import action_items, incidents, overview, postmortems

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

# Postmortems and action items (issue 5).
urlpatterns += [
    path(
        "incidents/<str:key>/postmortem/revisions/",
        postmortems.postmortem_revisions,
        name="postmortem-revisions",
    ),
    path(
        "incidents/<str:key>/postmortem/export.md",
        postmortems.postmortem_export,
        name="postmortem-export",
    ),
    path(
        "incidents/<str:key>/postmortem/action-items/",
        action_items.action_item_create,
        name="action-item-create",
    ),
    path(
        "incidents/<str:key>/postmortem/submit/",
        postmortems.postmortem_transition,
        {"action": "submit"},
        name="postmortem-submit",
    ),
    path(
        "incidents/<str:key>/postmortem/approve/",
        postmortems.postmortem_transition,
        {"action": "approve"},
        name="postmortem-approve",
    ),
    path(
        "incidents/<str:key>/postmortem/return/",
        postmortems.postmortem_transition,
        {"action": "return"},
        name="postmortem-return",
    ),
    path(
        "postmortems/preview/",
        postmortems.postmortem_preview,
        name="postmortem-preview",
    ),
    path(
        "postmortems/import/", postmortems.postmortem_import, name="postmortem-import"
    ),
    path("action-items/", action_items.action_item_list, name="action-items"),
    path(
        "action-items/<int:pk>/edit/",
        action_items.action_item_edit,
        name="action-item-edit",
    ),
]
