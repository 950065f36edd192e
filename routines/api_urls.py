from django.urls import path

from routines import api

urlpatterns = [
    path("body-parts/", api.BodyPartList.as_view(), name="api-body-parts"),
    # series/ and series/<slug>/ are served by editor/api_urls.py: the library's SeriesList
    # and SeriesDetail extended with the editors' POST and PATCH (mounted first).
    path(
        "series/<slug:slug>/safety-acknowledgement/",
        api.SafetyAcknowledgementView.as_view(),
        name="api-series-acknowledge",
    ),
    path("routines/<int:pk>/", api.RoutineDetail.as_view(), name="api-routine-detail"),
    path("sessions/", api.SessionLogList.as_view(), name="api-sessions"),
    path("sessions/<int:pk>/", api.SessionLogDetail.as_view(), name="api-session-detail"),
    path("me/stats/", api.MemberStatsView.as_view(), name="api-me-stats"),
    path("me/rest-days/", api.RestDayList.as_view(), name="api-me-rest-days"),
    path("me/practice-plan/", api.PracticePlanView.as_view(), name="api-me-practice-plan"),
    path("me/favourites/", api.FavouriteList.as_view(), name="api-me-favourites"),
    path(
        "me/favourites/<slug:slug>/",
        api.FavouriteDetail.as_view(),
        name="api-me-favourite-detail",
    ),
]
