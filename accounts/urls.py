from django.urls import path

from accounts import email_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("delete/", views.delete_account, name="delete"),
    path("export.json", views.export_data, name="export"),
    path("emails/", email_views.preferences, name="email_preferences"),
]
