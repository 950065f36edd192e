"""Members' offers page and the staff offer pages."""

from django.urls import path

from offers import staff_views, views

app_name = "offers"

urlpatterns = [
    path("offers/", views.offer_list, name="list"),
    path("offers/<int:pk>/redeem/", views.offer_redeem_view, name="redeem"),
    path("staff/offers/", staff_views.offer_list, name="staff_list"),
    path("staff/offers/new/", staff_views.offer_new, name="staff_new"),
    path("staff/offers/<int:pk>/", staff_views.offer_detail, name="staff_detail"),
    path("staff/offers/<int:pk>/edit/", staff_views.offer_edit, name="staff_edit"),
    path("staff/offers/<int:pk>/end/", staff_views.offer_end_view, name="staff_end"),
    path("staff/offers/<int:pk>/announce/", staff_views.offer_announce_view, name="staff_announce"),
    path("staff/offers/<int:pk>/redemptions.csv", staff_views.offer_export, name="staff_export"),
]
