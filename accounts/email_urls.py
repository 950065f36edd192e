"""Links inside emails: they work without logging in, authorised by a signed token."""

from django.urls import path

from accounts import email_views

app_name = "email"

urlpatterns = [
    path("unsubscribe/<str:token>/", email_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", email_views.preferences_by_token, name="preferences"),
]
