from django.urls import path

from editor import views

app_name = "editor"

SERIES = "series/<slug:slug>/"
ROUTINE = SERIES + "routines/<int:pk>/"
STEP = ROUTINE + "steps/<int:step_pk>/"

urlpatterns = [
    path("", views.series_list, name="series_list"),
    path("series/new/", views.series_new, name="series_new"),
    path(SERIES, views.series_overview, name="series"),
    path(SERIES + "edit/", views.series_edit, name="series_edit"),
    path(SERIES + "history/", views.series_history_page, name="series_history"),
    path(SERIES + "publish/", views.series_publish_now, name="series_publish"),
    path(SERIES + "schedule/", views.series_schedule_at, name="series_schedule"),
    path(SERIES + "unschedule/", views.series_unschedule_now, name="series_unschedule"),
    path(SERIES + "unpublish/", views.series_unpublish_now, name="series_unpublish"),
    path(SERIES + "preview/", views.series_preview, name="series_preview"),
    path(ROUTINE + "preview/", views.routine_preview, name="routine_preview"),
    path(SERIES + "routines/new/", views.routine_new, name="routine_new"),
    path(SERIES + "routines/order/", views.routines_order, name="routines_order"),
    path(ROUTINE + "edit/", views.routine_edit, name="routine_edit"),
    path(ROUTINE + "remove/", views.routine_remove, name="routine_remove"),
    path(ROUTINE + "move/", views.routine_reposition, name="routine_move"),
    path(ROUTINE + "steps/new/", views.step_new, name="step_new"),
    path(ROUTINE + "steps/order/", views.steps_order, name="steps_order"),
    path(STEP + "edit/", views.step_edit, name="step_edit"),
    path(STEP + "remove/", views.step_remove, name="step_remove"),
    path(STEP + "move/", views.step_reposition, name="step_move"),
]
