"""Read-only views for operators; members manage their own schedules."""

from django.contrib import admin

from reminders.models import ReminderOccurrence, ReminderSchedule


@admin.register(ReminderSchedule)
class ReminderScheduleAdmin(admin.ModelAdmin):
    list_display = ["user", "local_time", "timezone", "weekdays", "active", "next_run_at"]
    list_filter = ["active", "skip_if_practised"]
    search_fields = ["user__email"]
    ordering = ["next_run_at", "id"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "routine"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReminderOccurrence)
class ReminderOccurrenceAdmin(admin.ModelAdmin):
    """The ledger: one row per reminder firing, with why it was or was not sent."""

    list_display = ["due_at", "user", "local_date", "status", "attempts", "sent_at", "action"]
    list_filter = ["status", "action"]
    search_fields = ["user__email"]
    ordering = ["-due_at", "-id"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "schedule", "routine"]
    date_hierarchy = "due_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
