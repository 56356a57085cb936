"""Date and time formats of the pages (settings.FORMAT_MODULE_PATH): one format
everywhere, 2026-11-25 14:03, in the account's zone (the middleware activates it)."""
