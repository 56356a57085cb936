"""Backups: the daily snapshot of every account (R6-R7), its storage and
verification, and the restore engine that rolls the CRM module or the whole
account back to a snapshot, or exports it to CSV (R12-R13)."""
