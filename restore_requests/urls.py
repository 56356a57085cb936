from django.urls import path

from . import views

app_name = "restore_requests"

urlpatterns = [
    path("", views.RequestListView.as_view(), name="list"),
    path("new/", views.RequestCreateView.as_view(), name="new"),
    path("report/", views.ReportCreateView.as_view(), name="report"),
    path("download/<str:token>/", views.DownloadView.as_view(), name="download"),
    path("<int:pk>/", views.RequestDetailView.as_view(), name="detail"),
    path("<int:pk>/confirm/", views.RequestConfirmView.as_view(), name="confirm"),
    path("<int:pk>/progress/", views.RequestProgressView.as_view(), name="progress"),
    path("<int:pk>/<str:action>/", views.RequestActionView.as_view(), name="action"),
]
