"""What each CRM list shows: its columns, and how a row becomes cells."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass
class Cell:
    value: object
    url: str | None = None
    numeric: bool = False
    hide_small: bool = False
    nowrap: bool = False  # phone numbers and times read badly broken over lines


# (label, attribute, sort key or None, kind); kind: link, rel, num, text, nowrap, choice
COLUMNS = {
    "company": [
        ("Company name", "title", "title", "link"),
        ("Type", "company_type", "company_type", "choice"),
        ("Industry", "industry", "industry", "choice"),
        ("Revenue", "revenue", "revenue", "num"),
        ("Phone", "phone", None, "nowrap"),
        ("Responsible", "assigned_by", None, "text"),
        ("Created", "created_at", "created_at", "nowrap"),
    ],
    "contact": [
        ("Name", "__str__", "last_name", "link"),
        ("Company", "company", "company__title", "rel"),
        ("Position", "post", None, "text"),
        ("E-mail", "email", "email", "text"),
        ("Phone", "phone", None, "nowrap"),
        ("Responsible", "assigned_by", None, "text"),
        ("Created", "created_at", "created_at", "nowrap"),
    ],
    "lead": [
        ("Lead name", "title", "title", "link"),
        ("Contact person", "full_name", None, "text"),
        ("Status", "status_id", "status_id", "choice"),
        ("Opportunity", "opportunity", "opportunity", "num"),
        ("Source", "source_id", None, "choice"),
        ("Responsible", "assigned_by", None, "text"),
        ("Created", "created_at", "created_at", "nowrap"),
    ],
    "deal": [
        ("Deal name", "title", "title", "link"),
        ("Stage", "stage_id", "stage_id", "choice"),
        ("Opportunity", "opportunity", "opportunity", "num"),
        ("Company", "company", None, "rel"),
        ("Contact", "contact", None, "rel"),
        ("End date", "closedate", "closedate", "nowrap"),
        ("Responsible", "assigned_by", None, "text"),
    ],
    "product": [
        ("Name", "name", "name", "link"),
        ("Code", "code", None, "text"),
        ("Price", "price", "price", "num"),
        ("Currency", "currency_id", None, "text"),
        ("Active", "active", None, "bool"),
    ],
    "custom_field": [
        ("Label", "label", "label", "link"),
        ("Code", "code", None, "text"),
        ("For", "entity_type", "entity_type", "choice"),
        ("Type", "field_type", None, "choice"),
        ("Required", "mandatory", None, "bool"),
    ],
}

_REL_SLUGS = {"company": "companies", "contact": "contacts"}


def headers(et) -> list[dict]:
    return [
        {"label": label, "sort": sort, "numeric": kind == "num", "hide_small": i > 2}
        for i, (label, _attr, sort, kind) in enumerate(COLUMNS[et.entity_type])
    ]


def cells(et, obj) -> list[Cell]:
    row = []
    for i, (_label, attr, _sort, kind) in enumerate(COLUMNS[et.entity_type]):
        hide = i > 2
        if attr == "__str__":
            value = str(obj)
        elif attr == "full_name":
            value = " ".join(p for p in (obj.name, obj.last_name) if p)
        elif kind == "choice":
            value = getattr(obj, f"get_{attr}_display")() if getattr(obj, attr) else ""
        else:
            value = getattr(obj, attr)
        if kind == "link":
            row.append(Cell(value, reverse("crm:detail", args=[et.slug, obj.pk]), hide_small=hide))
        elif kind == "rel":
            url = reverse("crm:detail", args=[_REL_SLUGS[attr], value.pk]) if value else None
            row.append(Cell(value or "", url, hide_small=hide))
        elif kind == "bool":
            row.append(Cell("Yes" if value else "No", hide_small=hide))
        else:
            row.append(
                Cell(
                    "" if value is None else value,
                    numeric=kind == "num",
                    hide_small=hide,
                    nowrap=kind == "nowrap",
                )
            )
    return row
