"""The reminders' API routes, mounted under /api/v1/ by wellness/api_urls.py.

The names stay global ("api-reminders", "api-reminder") like every other API route.
"""

from django.urls import path

from reminders import api

urlpatterns = [
    path("me/reminders/", api.ReminderListCreateView.as_view(), name="api-reminders"),
    path("me/reminders/<int:pk>/", api.ReminderDetailView.as_view(), name="api-reminder"),
]
