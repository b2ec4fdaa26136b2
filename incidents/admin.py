from urllib.parse import urlsplit

from django import forms
from django.contrib import admin

from .models import (
    ActionItem,
    ActionItemDigest,
    BlamelessPhrase,
    Commit,
    Deployment,
    Incident,
    OutgoingWebhook,
    Postmortem,
    PostmortemRevision,
    PostmortemTemplate,
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


class OutgoingWebhookForm(forms.ModelForm):
    """The URL is write-only: Slack-style URLs embed their secret, so once saved it
    is shown only as its host. Leaving the field empty keeps the stored URL."""

    url = forms.URLField(
        max_length=1000,
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Enter a new URL to replace it; leave empty to keep the stored one.",
    )

    class Meta:
        model = OutgoingWebhook
        fields = ["name", "url", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if url:
            return url
        if self.instance.pk:
            return self.instance.url
        raise forms.ValidationError("A receiver needs a URL.")


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(admin.ModelAdmin):
    form = OutgoingWebhookForm
    list_display = ["name", "receiver_host", "is_active", "created_at"]
    list_filter = ["is_active"]
    readonly_fields = ["receiver_host"]

    @admin.display(description="Receiver host")
    def receiver_host(self, webhook: OutgoingWebhook) -> str:
        return urlsplit(webhook.url).hostname or "" if webhook.url else ""


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


@admin.register(PostmortemTemplate)
class PostmortemTemplateAdmin(admin.ModelAdmin):
    """The newest row is the template in use; placeholders are ${key}, ${title},
    ${severity}, ${services}, ${started}, ${resolved}, ${zone} and ${timeline}."""

    list_display = ["__str__", "updated_by", "updated_at"]
    raw_id_fields = ["updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(BlamelessPhrase)
class BlamelessPhraseAdmin(admin.ModelAdmin):
    list_display = ["phrase", "suggestion", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["phrase"]


@admin.register(ActionItemDigest)
class ActionItemDigestAdmin(admin.ModelAdmin):
    list_display = ["owner", "day", "item_count", "sent_at"]
    readonly_fields = ["owner", "day", "item_count", "sent_at"]
