"""Restore requests: the administrator's ticket, the helpdesk's answer with the
nearest snapshots, the confirmation and the run (R7-R11, R14-R17)."""
