from django.contrib import admin

from routines.models import BodyPart, Routine, Series, SessionLog, Step


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
