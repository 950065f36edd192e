from django.urls import path

from routines import views

app_name = "routines"

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/<slug:slug>/", views.series_detail, name="series"),
    path("library/<slug:slug>/favourite/", views.favourite, name="favourite"),
    path("library/<slug:slug>/safety/", views.safety, name="safety"),
    path("routines/<int:pk>/", views.routine_detail, name="routine"),
    path("routines/<int:pk>/play/", views.play, name="play"),
    path("routines/<int:pk>/finish/", views.finish, name="finish"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/export.csv", views.session_export, name="session_export"),
    path("sessions/<int:log_id>/", views.session_detail, name="session"),
    path("sessions/<int:log_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:log_id>/delete/", views.session_delete, name="session_delete"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/rest-today/", views.rest_today, name="rest_today"),
    path("dashboard/plan/", views.practice_plan, name="practice_plan"),
]
