"""The recycle bin's pages under /recycle-bin/."""

from django.urls import path

from . import bin_views

app_name = "recycle_bin"

urlpatterns = [
    path("", bin_views.BinListView.as_view(), name="list"),
    path("restore/", bin_views.BinRestoreView.as_view(), name="restore"),
]
