"""Celery task of the alerts: a thin wrapper around the service.

- `send_alert_emails(alert_id)`: a new alert's e-mail to each administrator,
  queued when the alert commits; a second delivery finds the alert notified
  already and sends nothing (idempotent by the database).
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="alerts.send_alert_emails")
def send_alert_emails(alert_id: int) -> int:
    return services.alert_emails_send(alert_id)
