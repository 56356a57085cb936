"""The Celery application, wired the standard way (settings under CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_portal.settings")

app = Celery("recovery_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
