"""The product's URLs plus the bench's ceiling and floors (``bench.views``)."""

from django.urls import path

from bench import views
from wellness.urls import handler404, handler500  # noqa: F401  (the product's error answers)
from wellness.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/ceiling", views.ceiling),
    path("bench/floor/page", views.floor_page),
    path("bench/floor/api", views.FloorApi.as_view()),
    path("bench/floor/write", views.FloorWriteView.as_view()),
    *product_urlpatterns,
]
