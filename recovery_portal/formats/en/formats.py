"""English pages show times as 2026-11-25 14:03 (sortable, unambiguous, 24 h),
like the History and the request forms, instead of Django's "Nov. 25, 2026, 2:03 p.m."."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
