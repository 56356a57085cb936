"""The recycle bin's API under /api/v1/recycle-bin/."""

from django.urls import path

from . import bin_api

urlpatterns = [
    path("", bin_api.BinListApi.as_view(), name="api-recycle-bin-list"),
    path("restore/", bin_api.BinRestoreApi.as_view(), name="api-recycle-bin-restore"),
]
