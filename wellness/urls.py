from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from routines.views.home import home
from wellness import views

# The admin signs in through allauth's login page, so it has the same failed-login limits
# (ACCOUNT_RATE_LIMITS["login_failed"]) instead of a second, unlimited password form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    # The API first: its clients make most requests, and every prefix is distinct, so
    # the order only saves them from trying the site's patterns one by one.
    path("api/v1/", include("wellness.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("me/", include("reminders.urls")),
    path("email/", include("accounts.email_urls")),
    path("", include("newsletters.urls")),
    path("", include("offers.urls")),
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

handler404 = "wellness.views.page_not_found"
handler500 = "wellness.views.server_error"
