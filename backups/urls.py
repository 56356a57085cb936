from django.urls import path

from . import views

app_name = "backups"

urlpatterns = [
    path("", views.BackupsView.as_view(), name="list"),
]
