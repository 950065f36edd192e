from django.urls import path

from routines import views

app_name = "routines"

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/<slug:slug>/", views.series_detail, name="series"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
