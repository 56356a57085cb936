"""Data for the snapshot tests: an account whose records carry every kind of
value the file format must survive (quotes, commas, line breaks, empty text,
NULLs, unicode, JSON, dates, decimals, booleans)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import make

TRICKY_TEXTS = [
    'He said "hello", then left',
    "line one\nline two\r\nline three\rend",
    "=SUM(A1:A9)",
    "\\.",
    "  padded  ",
    "Città, Straße, 東京 — ✓",
    "",
]


@pytest.fixture
def filled(acme):
    """Acme with a few records of every entity type."""
    make(acme, "custom_field")  # UF_CRM_SIZE on contacts
    make(acme, "product", name="Licence", price="100.00", description="Per seat, yearly")
    make(acme, "product", name='Support "Gold"', price="0.50", active=False)
    company = make(acme, "company", title="Acme Srl", revenue="1234567.89", address=TRICKY_TEXTS[1])
    contacts = []
    for i, text in enumerate(TRICKY_TEXTS):
        contacts.append(
            make(
                acme,
                "contact",
                name=f"Name {i}",
                last_name=text,
                comments=text,
                company_id=company.pk if i % 2 else None,
                custom_fields={"UF_CRM_SIZE": f"L{i}, “x”"} if i % 3 == 0 else {},
            )
        )
    make(acme, "lead", title="Website enquiry", opportunity=None, comments="")
    make(acme, "lead", title="Trade show", opportunity="99.90", post="CEO, founder")
    make(
        acme,
        "deal",
        title="Annual licence",
        company_id=company.pk,
        contact_id=contacts[0].pk,
        begindate=date(2026, 1, 31),
        closedate=None,
        closed=True,
        probability=40,
    )
    make(acme, "deal", title="Open deal", opportunity="10.00")
    return acme
