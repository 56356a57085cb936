"""A record's link to another record (a contact's company, a deal's contact) is
typed, with suggestions, instead of a drop-down of every record of the account
(which would send 20,000 options with each form of a big account): its id, a
suggestion ("Acme Srl #12") or its exact name; no JavaScript needed."""

from __future__ import annotations

import re
from html import unescape

import pytest

from crm.forms import SUGGESTIONS
from crm.models import Contact, Deal
from tests.crm.conftest import form_data
from tests.factories import actor_for, make
from tests.pages import bulk


def _suggestions(html: str, field: str) -> list[str]:
    datalist = re.search(rf'<datalist id="{field}-suggestions">(.*?)</datalist>', html, re.S)
    assert datalist, f"no suggestions for {field}"
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)">', datalist.group(1))]


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return unescape(match.group(1))


def _new_contact(client, account, **values):
    data = form_data(account, "contact", name="Anna", last_name="Neri", **values)
    return client.post("/crm/contacts/new/", data)


@pytest.mark.parametrize("typed", ["{pk}", "#{pk}", "Globo Srl #{pk}", "  globo srl  "])
def test_a_company_is_linked_by_its_id_a_suggestion_or_its_name(acme, alice, page, typed):
    company = make(acme, "company", actor=actor_for(alice), title="Globo Srl")
    make(acme, "company", actor=actor_for(alice), title="Other Srl")

    response = _new_contact(page(alice), acme, company=typed.format(pk=company.pk))

    assert response.status_code == 302
    assert Contact.objects.get(account=acme, last_name="Neri").company_id == company.pk


def test_a_name_two_companies_share_asks_for_the_id_and_keeps_what_was_typed(acme, alice, page):
    first = make(acme, "company", actor=actor_for(alice), title="Globo Srl")
    second = make(acme, "company", actor=actor_for(alice), title="Globo Srl")

    response = _new_contact(page(alice), acme, company="Globo Srl")

    assert response.status_code == 400
    html = response.content.decode()
    error = _error(html, "company")
    assert "more than one company is called “Globo Srl”" in error
    assert f"Globo Srl #{first.pk}" in error and f"Globo Srl #{second.pk}" in error
    assert 'name="company" value="Globo Srl"' in html
    assert not Contact.objects.filter(account=acme, last_name="Neri").exists()


def test_another_accounts_company_is_unknown_by_id_and_by_name(acme, globex, alice, page):
    theirs = make(globex, "company", title="Their Srl")
    client = page(alice)

    by_id = _new_contact(client, acme, company=str(theirs.pk))
    by_name = _new_contact(client, acme, company="Their Srl")

    assert _error(by_id.content.decode(), "company") == (
        f"Select a valid choice: there is no company #{theirs.pk} in this account."
    )
    assert "no company is called “Their Srl”" in _error(by_name.content.decode(), "company")
    assert "Their Srl" not in by_id.content.decode().split('id="company-suggestions"')[1]
    assert not Contact.objects.filter(account=acme).exists()


def test_a_deals_contact_is_found_by_full_name(acme, alice, page):
    contact = make(acme, "contact", actor=actor_for(alice), name="Maria", last_name="Verdi")

    response = page(alice).post(
        "/crm/deals/new/", form_data(acme, "deal", title="Pilot", contact="maria verdi")
    )

    assert response.status_code == 302
    assert Deal.objects.get(account=acme, title="Pilot").contact_id == contact.pk


def test_the_edit_form_shows_the_linked_record_and_clearing_it_unlinks(acme, alice, page):
    company = make(acme, "company", actor=actor_for(alice), title="Globo Srl")
    contact = make(acme, "contact", actor=actor_for(alice), last_name="Neri", company_id=company.pk)
    client = page(alice)

    html = client.get(f"/crm/contacts/{contact.pk}/edit/").content.decode()
    assert f'name="company" value="Globo Srl #{company.pk}"' in html
    assert 'list="company-suggestions"' in html

    response = client.post(
        f"/crm/contacts/{contact.pk}/edit/",
        form_data(acme, "contact", last_name="Neri", company=""),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.company_id is None


def test_the_form_suggests_the_most_recent_records_not_all_of_them(acme, alice, page):
    rows = bulk.companies(acme, SUGGESTIONS + 50)

    html = page(alice).get("/crm/contacts/new/").content.decode()

    shown = _suggestions(html, "company")
    assert len(shown) == SUGGESTIONS
    assert shown[0] == f"{rows[-1].title} #{rows[-1].pk}"  # newest first
    assert f"{rows[0].title} #{rows[0].pk}" not in shown
    assert '<select name="company"' not in html
