from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from routines.views.home import home
from wellness import views

urlpatterns = [
    # The API first: its clients make most requests, and every prefix is distinct, so
    # the order only saves them from trying the site's patterns one by one.
    path("api/v1/", include("wellness.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("email/", include("accounts.email_urls")),
    path("", include("routines.urls")),
    path("editor/", include("editor.urls")),
    path("admin/", admin.site.urls),
]

# Email provider webhooks (bounces, complaints -> suppression list), only once they are
# secured: ANYMAIL_WEBHOOK_SECRET (basic auth) or the provider's signing key is set.
if any("WEBHOOK" in key or "SIGNING" in key for key in settings.ANYMAIL):
    urlpatterns.append(path("anymail/", include("anymail.urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
