from django.urls import path

from . import api

urlpatterns = [
    path("", api.AlertListView.as_view(), name="api-alerts"),
    path("rules/", api.RulesView.as_view(), name="api-alert-rules"),
    path("<int:pk>/", api.AlertDetailView.as_view(), name="api-alert"),
    path("<int:pk>/preview/", api.AlertPreviewView.as_view(), name="api-alert-preview"),
    path("<int:pk>/undo/", api.AlertUndoView.as_view(), name="api-alert-undo"),
    path(
        "<int:pk>/dismiss/",
        api.AlertActionView.as_view(action_name="dismiss"),
        name="api-alert-dismiss",
    ),
    path(
        "<int:pk>/suspend-actor/",
        api.AlertActionView.as_view(action_name="suspend"),
        name="api-alert-suspend",
    ),
    path(
        "<int:pk>/lift-suspension/",
        api.AlertActionView.as_view(action_name="lift"),
        name="api-alert-lift",
    ),
]
