from django.contrib import admin

from .models import (
    ActionItem,
    Commit,
    Deployment,
    Incident,
    OutgoingWebhook,
    Postmortem,
    PostmortemRevision,
    Service,
    Team,
    TimelineEntry,
    WebhookDelivery,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "team", "tier"]
    list_filter = ["tier", "team"]
    search_fields = ["slug", "name", "description"]
    list_select_related = ["team"]


class CommitInline(admin.TabularInline):
    model = Commit
    extra = 0
    fields = ["sha", "committed_at", "author", "message"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "service",
        "environment",
        "version",
        "status",
        "finished_at",
        "is_hotfix",
        "source",
    ]
    list_filter = ["status", "environment", "source", "is_hotfix", "service"]
    search_fields = ["version", "commit_sha", "external_id", "service__slug"]
    list_select_related = ["service"]
    raw_id_fields = ["rollback_of"]
    date_hierarchy = "finished_at"
    inlines = [CommitInline]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ["occurred_at", "kind", "tag", "author", "body"]
    raw_id_fields = ["author"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "severity", "status", "started_at", "resolved_at"]
    list_filter = ["status", "severity", "source", "is_restricted", "services"]
    search_fields = ["title", "summary", "alert_group_key"]
    raw_id_fields = ["caused_by", "commander", "communications_lead", "created_by"]
    filter_horizontal = ["services"]
    date_hierarchy = "started_at"
    inlines = [TimelineInline]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    raw_id_fields = ["owner"]


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["incident", "status", "version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["body", "incident__title"]
    raw_id_fields = ["incident", "author", "approved_by"]
    readonly_fields = ["version", "body_html"]
    inlines = [ActionItemInline]


@admin.register(PostmortemRevision)
class PostmortemRevisionAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "version", "author", "created_at"]
    raw_id_fields = ["postmortem", "author"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "owner", "due_date", "priority", "status"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["postmortem", "owner"]


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "webhook",
        "status",
        "attempts",
        "response_code",
        "created_at",
    ]
    list_filter = ["status", "event", "webhook"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
