from django.urls import path

from . import helpdesk_views as views

app_name = "helpdesk"

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("requests/<int:pk>/", views.RequestView.as_view(), name="request"),
    path("requests/<int:pk>/propose/", views.ProposeView.as_view(), name="propose"),
    path("requests/<int:pk>/reject/", views.RejectView.as_view(), name="reject"),
    path("requests/<int:pk>/message/", views.MessageView.as_view(), name="message"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("reports/<int:pk>/close/", views.ReportCloseView.as_view(), name="report-close"),
    path("accounts/", views.AccountsView.as_view(), name="accounts"),
    path("accounts/<int:pk>/", views.AccountView.as_view(), name="account"),
]
