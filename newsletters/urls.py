"""Public newsletter pages and the staff campaign pages."""

from django.urls import path

from newsletters import staff_views, views

app_name = "newsletters"

urlpatterns = [
    path("newsletter/subscribe/", views.subscribe, name="subscribe"),
    path("newsletter/subscribe/thanks/", views.subscribe_done, name="subscribe_done"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="confirm"),
    path("newsletter/manage/<str:token>/", views.manage, name="manage"),
    path("newsletter/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("staff/campaigns/", staff_views.campaign_list, name="campaign_list"),
    path("staff/campaigns/new/", staff_views.campaign_new, name="campaign_new"),
    path("staff/campaigns/<int:pk>/", staff_views.campaign_detail, name="campaign_detail"),
    path("staff/campaigns/<int:pk>/edit/", staff_views.campaign_edit, name="campaign_edit"),
    path(
        "staff/campaigns/<int:pk>/preview/", staff_views.campaign_preview, name="campaign_preview"
    ),
    path(
        "staff/campaigns/<int:pk>/progress.json",
        staff_views.campaign_progress_json,
        name="campaign_progress",
    ),
    path("staff/campaigns/<int:pk>/send/", staff_views.campaign_send_view, name="campaign_send"),
    path(
        "staff/campaigns/<int:pk>/schedule/",
        staff_views.campaign_schedule_view,
        name="campaign_schedule",
    ),
    path(
        "staff/campaigns/<int:pk>/unschedule/",
        staff_views.campaign_unschedule_view,
        name="campaign_unschedule",
    ),
    path("staff/campaigns/<int:pk>/pause/", staff_views.campaign_pause_view, name="campaign_pause"),
    path(
        "staff/campaigns/<int:pk>/resume/", staff_views.campaign_resume_view, name="campaign_resume"
    ),
    path(
        "staff/campaigns/<int:pk>/cancel/", staff_views.campaign_cancel_view, name="campaign_cancel"
    ),
    path("staff/campaigns/<int:pk>/test/", staff_views.campaign_test_view, name="campaign_test"),
]
