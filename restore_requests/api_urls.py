from django.urls import path

from . import api

urlpatterns = [
    path("restore-requests/", api.RequestListView.as_view(), name="api-restore-requests"),
    path("restore-requests/<int:pk>/", api.RequestDetailView.as_view(), name="api-restore-request"),
    path(
        "restore-requests/<int:pk>/preview/",
        api.RequestPreviewView.as_view(),
        name="api-restore-request-preview",
    ),
    path(
        "restore-requests/<int:pk>/confirm/",
        api.RequestConfirmView.as_view(),
        name="api-restore-request-confirm",
    ),
    path(
        "restore-requests/<int:pk>/cancel/",
        api.RequestCancelView.as_view(),
        name="api-restore-request-cancel",
    ),
    path(
        "restore-requests/<int:pk>/undo/",
        api.RequestUndoView.as_view(),
        name="api-restore-request-undo",
    ),
    path(
        "restore-requests/<int:pk>/download/",
        api.RequestDownloadView.as_view(),
        name="api-restore-request-download",
    ),
    path(
        "restore-requests/<int:pk>/messages/",
        api.RequestMessageView.as_view(),
        name="api-restore-request-messages",
    ),
    path("deletion-reports/", api.ReportListView.as_view(), name="api-deletion-reports"),
    path("helpdesk/restore-requests/", api.HelpdeskQueueView.as_view(), name="api-helpdesk-queue"),
    path(
        "helpdesk/restore-requests/<int:pk>/",
        api.HelpdeskRequestView.as_view(),
        name="api-helpdesk-request",
    ),
    path(
        "helpdesk/restore-requests/<int:pk>/propose/",
        api.HelpdeskProposeView.as_view(),
        name="api-helpdesk-propose",
    ),
    path(
        "helpdesk/restore-requests/<int:pk>/reject/",
        api.HelpdeskRejectView.as_view(),
        name="api-helpdesk-reject",
    ),
    path(
        "helpdesk/restore-requests/<int:pk>/messages/",
        api.HelpdeskMessageView.as_view(),
        name="api-helpdesk-messages",
    ),
    path(
        "helpdesk/deletion-reports/",
        api.HelpdeskReportListView.as_view(),
        name="api-helpdesk-reports",
    ),
    path(
        "helpdesk/deletion-reports/<int:pk>/close/",
        api.HelpdeskReportCloseView.as_view(),
        name="api-helpdesk-report-close",
    ),
]
