from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/tokens/", api.TokenListView.as_view(), name="api-me-tokens"),
    path("me/tokens/<int:pk>/", api.TokenDetailView.as_view(), name="api-me-token"),
]
