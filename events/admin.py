from django.contrib import admin

from .models import Event, IntegrityCheck


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["position", "event_type", "stream_id", "version", "company", "occurred_at"]
    list_filter = ["event_type", "company"]
    list_select_related = ["company"]
    search_fields = ["stream_id", "event_type"]
    ordering = ["-position"]
    show_full_result_count = False


@admin.register(IntegrityCheck)
class IntegrityCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "ok", "events_checked", "head_position", "duration_seconds"]
