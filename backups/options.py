"""R12: the three restore options, and what each one covers (R13)."""

from django.db import models


class Option(models.TextChoices):
    CRM_ROLLBACK = "crm_rollback", "CRM module rollback"
    CSV_EXPORT = "csv_export", "CSV file"
    FULL_ROLLBACK = "full_rollback", "Full account rollback"


ROLLBACK_OPTIONS = frozenset({Option.CRM_ROLLBACK, Option.FULL_ROLLBACK})

# R13: the CRM module rollback covers the crm module only; custom field
# definitions and products come back only with the full account rollback.
MODULES_BY_OPTION = {
    Option.CRM_ROLLBACK: ("crm",),
    Option.FULL_ROLLBACK: None,  # every module of the registry
    Option.CSV_EXPORT: ("crm",),
}


def modules_for(option: str) -> list[str]:
    from crm.registry import modules

    chosen = MODULES_BY_OPTION[option]
    return list(modules()) if chosen is None else list(chosen)
