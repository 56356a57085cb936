"""Who did it: the actor every write takes (`actor=`) and the History records.

A person acts through a page, the API (a token acts as its user), the admin
site, an import or a management command; background work acts as the system
on behalf of the person who asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Source(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    ADMIN = "admin", "Admin site"
    IMPORT = "import", "Import"
    COMMAND = "command", "Management command"
    RECYCLE_BIN = "recycle_bin", "Recycle bin"
    RESTORE = "restore", "Restore run"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    source: str

    @classmethod
    def for_user(cls, user, source: str) -> Actor:
        return cls(user_id=user.pk, name=user.get_username(), source=source)

    @classmethod
    def system(cls, *, source: str = Source.SYSTEM, on_behalf_of=None) -> Actor:
        if on_behalf_of is None:
            return cls(user_id=None, name="system", source=source)
        return cls(
            user_id=on_behalf_of.pk,
            name=f"system, for {on_behalf_of.get_username()}",
            source=source,
        )

    @property
    def is_person(self) -> bool:
        return self.source not in (Source.RESTORE, Source.SYSTEM)
