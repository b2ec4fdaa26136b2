from django.contrib import admin

from .models import SLO


@admin.register(SLO)
class SLOAdmin(admin.ModelAdmin):
    list_display = [
        "service",
        "name",
        "target_percent",
        "window_days",
        "freeze_threshold",
    ]
    list_filter = ["window_days"]
    search_fields = ["service__slug", "name"]
    list_select_related = ["service"]
