"""URLs of every door."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing.soap import webservice as engageip_webservice
from billing.soap import webservice_method as engageip_webservice_method
from portal import job_views, views
from portal.api.versions import api_urls
from portal.mps.views import mps_endpoint

# Every app's REST resources, each declared in its api/urls.py: /api/v1/<its API_PREFIX>/...,
# and the paths from before version 1 as deprecated aliases (portal/api/versions.py).
API_MODULES = ["portal.api.urls", "customers.api.urls", "email_service.api.urls", "billing.api.urls"]

api_patterns = [
    *api_urls(API_MODULES),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.own_assets_only(SpectacularSwaggerView.as_view(url_name="api:schema")), name="docs"),
    path(
        "redoc/",
        views.own_assets_only(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="portal/redoc.html")
        ),
        name="redoc",
    ),
]

handler404 = "portal.views.not_found"
# what a middleware raised, in the shape of the door it came through (config/errors.py)
handler500 = "config.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("lockouts/clear/", views.lockout_clear, name="lockout-clear"),
    path("healthz", views.health, name="health"),
    path("favicon.ico", RedirectView.as_view(url=static("portal/favicon.svg"), permanent=True)),
    path("mps/", mps_endpoint, name="mps"),
    path("jobs/<uuid:job_id>/", job_views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/status", job_views.job_status, name="job-status"),
    path("jobs/<uuid:job_id>/results.csv", job_views.job_results_csv, name="job-results-csv"),
    path("adminportal/webservice.asmx", engageip_webservice, name="engageip-soap"),
    path("adminportal/webservice.asmx/<str:method>", engageip_webservice_method, name="engageip-http-post"),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    path("organizations/", include("customers.urls")),
    path("email/", include("email_service.urls")),
    path("billing/", include("billing.urls")),
]
