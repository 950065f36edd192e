"""The staff API's routes, mounted under /api/v1/ before the library's: ``series/`` and
``series/<slug>/`` are the library's endpoints extended with POST and PATCH."""

from django.urls import path

from editor import api

SERIES = "series/<slug:slug>/"
ROUTINE = SERIES + "routines/<int:pk>/"

urlpatterns = [
    path("series/", api.SeriesCollection.as_view(), name="api-series-list"),
    path(SERIES, api.SeriesResource.as_view(), name="api-series-detail"),
    path(SERIES + "publish/", api.SeriesPublish.as_view(), name="api-series-publish"),
    path(SERIES + "unpublish/", api.SeriesUnpublish.as_view(), name="api-series-unpublish"),
    path(SERIES + "history/", api.SeriesHistory.as_view(), name="api-series-history"),
    path(SERIES + "routines/", api.RoutineCollection.as_view(), name="api-staff-routines"),
    path(SERIES + "routines/order/", api.RoutineOrder.as_view(), name="api-staff-routine-order"),
    path(ROUTINE, api.RoutineResource.as_view(), name="api-staff-routine"),
    path(ROUTINE + "steps/", api.StepCollection.as_view(), name="api-staff-steps"),
    path(ROUTINE + "steps/order/", api.StepOrder.as_view(), name="api-staff-step-order"),
    path(ROUTINE + "steps/<int:step_pk>/", api.StepResource.as_view(), name="api-staff-step"),
]
