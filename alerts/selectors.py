"""Reads of alerts, always through the account."""

from __future__ import annotations

from accounts.models import Account, Membership

from .models import Alert


def alerts_of(account: Account, *, state: str | None = None):
    qs = Alert.objects.filter(account=account)
    if state:
        qs = qs.filter(state=state)
    return qs  # Uses index: alert_account_state


def alert_of(account: Account, alert_id: int) -> Alert | None:
    return Alert.objects.filter(account=account, pk=alert_id).select_related("account").first()


def open_alerts(account: Account) -> list[Alert]:
    return list(alerts_of(account, state=Alert.State.OPEN).order_by("-created_at")[:5])


def actor_suspended(alert: Alert) -> bool:
    if alert.actor_id is None:
        return False
    return Membership.objects.filter(
        account_id=alert.account_id, user_id=alert.actor_id, deletions_suspended_at__isnull=False
    ).exists()
