from django.contrib import admin
from django.http import HttpRequest

from routines.models import (
    BodyPart,
    DailyActivity,
    PracticePlan,
    RestDay,
    Routine,
    Series,
    SessionLog,
    Step,
)


@admin.register(BodyPart)
class BodyPartAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


@admin.register(Routine)
class RoutineAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "position", "per_side"]
    inlines = [StepInline]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "publish_at", "published_at"]
    list_filter = ["status", "body_parts"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(SessionLog)
class SessionLogAdmin(admin.ModelAdmin):
    list_display = ["user", "routine", "local_date", "duration_seconds"]
    raw_id_fields = ["user"]


@admin.register(RestDay)
class RestDayAdmin(admin.ModelAdmin):
    list_display = ["user", "local_date"]
    raw_id_fields = ["user"]
    date_hierarchy = "local_date"


@admin.register(PracticePlan)
class PracticePlanAdmin(admin.ModelAdmin):
    list_display = ["user", "rest_weekdays", "rest_days_per_week"]
    raw_id_fields = ["user"]


@admin.register(DailyActivity)
class DailyActivityAdmin(admin.ModelAdmin):
    """Derived from the logs (manage.py rebuild_member_stats): read-only here."""

    list_display = ["user", "local_date", "sessions", "seconds"]
    raw_id_fields = ["user"]
    date_hierarchy = "local_date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
