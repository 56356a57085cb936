from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.AlertListView.as_view(), name="list"),
    path("rules/", views.RulesView.as_view(), name="rules"),
    path("<int:pk>/", views.AlertDetailView.as_view(), name="detail"),
    path("<int:pk>/<str:action>/", views.AlertActionView.as_view(), name="action"),
]
