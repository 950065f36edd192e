"""Reminder pages, mounted under me/ by wellness/urls.py: /me/reminders/...

The paths are the ones reminders had under accounts, so links in emails already sent
(/me/reminders/done|rest/<token>/) keep working.
"""

from django.urls import path, re_path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("reminders/", views.reminder_list, name="list"),
    path("reminders/new/", views.reminder_create, name="create"),
    path("reminders/<int:pk>/edit/", views.reminder_edit, name="edit"),
    path("reminders/<int:pk>/pause/", views.reminder_pause, name="pause"),
    path("reminders/<int:pk>/delete/", views.reminder_delete, name="delete"),
    re_path(
        r"^reminders/(?P<action>done|rest)/(?P<token>[^/]+)/$",
        views.reminder_action,
        name="action",
    ),
]
