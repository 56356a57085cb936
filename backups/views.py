"""The Backups page (administrators): how backups work, and the account's snapshots."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.access import AdminRequiredMixin
from crm.registry import MODULE_LABELS, modules

from . import selectors
from .snapshot_schedule import next_slot_after


class BackupsView(AdminRequiredMixin, TemplateView):
    template_name = "backups/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        snapshots = list(selectors.recent_snapshots(self.account))
        today = timezone.now().astimezone(UTC).date()
        todays = [s for s in snapshots if s.kind == "daily" and s.day == today]
        failed_today = [s for s in todays if s.status == "failed"]
        # A failed daily snapshot is tried again the same day, up to the day's maximum.
        retrying = (
            bool(failed_today)
            and len(failed_today) < settings.SNAPSHOT_MAX_ATTEMPTS_PER_DAY
            and all(s.status == "failed" for s in todays)
        )
        context.update(
            {
                "nav": "backups",
                "snapshots": [
                    {"snapshot": s, "counts": selectors.count_rows(s)} for s in snapshots
                ],
                "available_count": sum(1 for s in snapshots if s.is_available),
                "retention_days": settings.SNAPSHOT_RETENTION_DAYS,
                "recycle_bin_days": settings.RECYCLE_BIN_DAYS,
                "module_labels": [MODULE_LABELS[m] for m in reversed(modules())],
                "next_snapshot_at": next_slot_after(self.account.pk),
                "retry_of": failed_today[0].pk if retrying else None,
            }
        )
        return context
