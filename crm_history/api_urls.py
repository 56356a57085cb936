from django.urls import path

from . import api

urlpatterns = [
    path("events/", api.EventListView.as_view(), name="api-history-events"),
]
