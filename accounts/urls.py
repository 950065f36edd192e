from django.urls import path

from accounts import email_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("delete/", views.delete_account, name="delete"),
    path("export.json", views.export_data, name="export"),
    path("emails/", email_views.preferences, name="email_preferences"),
]
