"""The project's URLs: pages, the API under /api/v1/, the schema and its docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from .api import docs_view

api_v1 = [
    path("", include("accounts.api_urls")),
    path("crm/", include("crm.api_urls")),
    path("backups/", include("backups.api_urls")),
    path("history/", include("crm_history.api_urls")),
    path("recycle-bin/", include("crm.bin_api_urls")),
    path("", include("restore_requests.api_urls")),
    path("alerts/", include("alerts.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", docs_view(), name="api-docs"),
    path("", include("accounts.urls")),
    path("crm/", include("crm.urls")),
    path("backups/", include("backups.urls")),
    path("history/", include("crm_history.urls")),
    path("recycle-bin/", include("crm.bin_urls")),
    path("restore/", include("restore_requests.urls")),
    path("helpdesk/", include("restore_requests.helpdesk_urls")),
    path("alerts/", include("alerts.urls")),
]
