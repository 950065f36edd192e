from django.urls import path, re_path

from accounts import email_views, reminder_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("delete/", views.delete_account, name="delete"),
    path("export.json", views.export_data, name="export"),
    path("emails/", email_views.preferences, name="email_preferences"),
    path("reminders/", reminder_views.reminder_list, name="reminders"),
    path("reminders/new/", reminder_views.reminder_create, name="reminder_create"),
    path("reminders/<int:pk>/edit/", reminder_views.reminder_edit, name="reminder_edit"),
    path("reminders/<int:pk>/pause/", reminder_views.reminder_pause, name="reminder_pause"),
    path("reminders/<int:pk>/delete/", reminder_views.reminder_delete, name="reminder_delete"),
    re_path(
        r"^reminders/(?P<action>done|rest)/(?P<token>[^/]+)/$",
        reminder_views.reminder_action,
        name="reminder_action",
    ),
]
