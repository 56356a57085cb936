"""The History's one table: an event per created, updated, deleted or restored record."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Account


class Action(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    RESTORE = "restore", "Restored"


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("History events are never edited.")

    def delete(self):
        raise TypeError("History events are never deleted.")


class Event(models.Model):
    """One change of one record, standing alone (NetBox's ObjectChange): it keeps
    the actor's name and the record's title, and for a delete the whole record,
    so it still says who and what after both are gone."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    operation = models.UUIDField(
        help_text="One id per request, bulk action, import or restore run."
    )
    entity_type = models.CharField(max_length=20)
    entity_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    # No index of its own: every write pays for each index of this table, and
    # the actor filter runs inside the account's timeline index.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    source = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    title = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True)
    schema_version = models.PositiveSmallIntegerField(default=1)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            # Uses: the timeline, newest first (keyset on occurred_at, id).
            models.Index(fields=["account", "-occurred_at", "-id"], name="event_timeline"),
            # Uses: the timeline filtered on one action (R2: every deletion).
            models.Index(
                fields=["account", "action", "-occurred_at", "-id"], name="event_action_timeline"
            ),
            # Uses: a record's own History; the recycle bin's "is it back?".
            models.Index(fields=["account", "entity_type", "entity_id"], name="event_record"),
            # Uses: finding a bulk action's events together.
            models.Index(fields=["account", "operation"], name="event_operation"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type} #{self.entity_id} by {self.actor_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("History events are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("History events are never deleted.")
