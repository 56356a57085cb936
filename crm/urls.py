from django.urls import path

from . import views
from .import_views import ImportView

app_name = "crm"

urlpatterns = [
    path("import/", ImportView.as_view(), name="import"),
    path("<slug:slug>/", views.RecordListView.as_view(), name="list"),
    path("<slug:slug>/new/", views.RecordFormView.as_view(), name="create"),
    path("<slug:slug>/bulk-delete/", views.BulkDeleteView.as_view(), name="bulk-delete"),
    path("<slug:slug>/<int:pk>/", views.RecordDetailView.as_view(), name="detail"),
    path("<slug:slug>/<int:pk>/edit/", views.RecordFormView.as_view(), name="edit"),
    path("<slug:slug>/<int:pk>/delete/", views.RecordDeleteView.as_view(), name="delete"),
]
