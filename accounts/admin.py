from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.models import (
    ApiToken,
    EmailPreference,
    EmailSuppression,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "timezone", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "timezone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


# --- Email preferences and suppression --------------------------------------------------


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(admin.ModelAdmin):
    """Staff add manual suppressions here and lift wrong ones (deleting the row)."""

    list_display = ["address", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["address"]
    ordering = ["-created_at"]
    readonly_fields = ["created_at"]
    fields = ["address", "reason", "detail", "created_at"]

    def get_changeform_initial_data(self, request):  # type: ignore[no-untyped-def]
        return {"reason": EmailSuppression.Reason.MANUAL}

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.address = obj.address.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    """Read-only: what members agreed to receive is theirs to change, not staff's."""

    list_display = ["user", "reminders", "newsletter", "offers", "updated_at"]
    list_filter = ["reminders", "newsletter", "offers"]
    search_fields = ["user__email"]
    ordering = ["user__email"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


# --- API tokens ---------------------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see a member's tokens (never the keys) and can delete a leaked one."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__email", "name", "prefix"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key is shown once, to its member: tokens are made by members

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False
