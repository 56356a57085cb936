"""Alerts: mass deletions noticed as they are recorded (not by a daily batch),
one alert per burst with an e-mail and a banner for the account's
administrators, the suspension of an actor's deletions, and the undo of a burst
in one action through the recycle bin's loader."""
