from django.contrib import admin, messages

from .exports import audit_csv_response
from .models import ApiToken, AuditEvent, Profile
from .services import TokenError, create_api_token, revoke_api_token


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone"]
    search_fields = ["user__username"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here by name; the raw value is shown once in a message and
    never again, since only its hash is stored."""

    list_display = [
        "name",
        "prefix",
        "user",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    fields = ["name"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            token, raw = create_api_token(name=obj.name, created_by=request.user)
        except TokenError as error:
            messages.error(request, str(error))
            return
        obj.pk = token.pk
        messages.warning(
            request,
            f"Token for {token.name}: {raw} (copy it now; it is not shown again)",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_api_token(token=token, actor=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor_name", "target", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target", "ip_address"]
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        return audit_csv_response(queryset)
