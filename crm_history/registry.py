"""How the History names and links records, registered by the CRM at start-up.

The History stores entity types and ids only; to show a title's link, or say
that a record no longer exists, it asks what the CRM registered here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class EntityLinks:
    entity_type: str
    label: str
    label_plural: str
    url: Callable[[int], str]
    existing_ids: Callable[[int, Iterable[int]], set[int]]
    # The list page of this entity type (R5 links to it); optional: without it,
    # the History takes the parent of a record's URL.
    list_url: Callable[[], str] | None = None


_entities: dict[str, EntityLinks] = {}


def register_entity(links: EntityLinks) -> None:
    _entities[links.entity_type] = links


def entity_links(entity_type: str) -> EntityLinks | None:
    return _entities.get(entity_type)


def entity_types() -> list[EntityLinks]:
    return list(_entities.values())
