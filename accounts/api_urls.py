from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("auth/token/current/", api.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("account/", api.AccountView.as_view(), name="api-account"),
    path("account/plan/", api.PlanChangeView.as_view(), name="api-account-plan"),
    path("account/demo/", api.DemoStartView.as_view(), name="api-account-demo"),
]
