"""Recovery Portal: the Django project package (settings, URLs, Celery wiring).

It wires the apps together and holds the few pieces every app shares: the
error catalogue (`errors`), the API's exception handler and pagination
(`api`).
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
