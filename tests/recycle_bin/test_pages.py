"""CRM > Recycle Bin: the list, the confirmation step, refusals, plans."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Plan
from crm import services
from crm.models import Company, Contact, Deal
from tests.factories import actor_for, make

from .conftest import delete, fingerprint, made_and_deleted

LIST = "/recycle-bin/"
RESTORE = "/recycle-bin/restore/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_page_lists_what_who_and_when_in_the_account_time_zone(acme, alice, page):
    event = made_and_deleted(acme, "contact", by=alice, last_name="Romano", email="r@x.it")

    response = page(alice).get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Mario Romano" in html
    assert "alice" in html
    local = timezone.localtime(event.occurred_at, acme.tzinfo).strftime("%d %b %Y %H:%M")
    assert local in html
    assert "Work e-mail: r@x.it" in html
    assert f'value="{event.pk}"' in html
    assert 'aria-current="page">Recycle Bin' in html


def test_the_empty_bin_says_what_would_be_here(acme, alice, page):
    response = page(alice).get(LIST)
    assert response.status_code == 200
    assert "The recycle bin is empty" in response.content.decode()


def test_restore_one_record_through_the_confirmation(acme, alice, page):
    event = made_and_deleted(acme, "contact", by=alice, last_name="Greco")
    client = page(alice)

    confirm = client.post(RESTORE, {"events": [event.pk], "next": LIST})

    assert confirm.status_code == 200
    assert "Restore 1 record?" in confirm.content.decode()
    assert "Mario Greco" in confirm.content.decode()
    assert not Contact.objects.filter(pk=event.entity_id).exists()  # not yet

    done = client.post(
        RESTORE, {"events": [event.pk], "confirmed": "yes", "next": LIST}, follow=True
    )

    assert done.redirect_chain[-1] == (LIST, 302)
    assert "Restored contact “Mario Greco”, with its id." in messages_of(done)
    assert Contact.objects.filter(pk=event.entity_id, account=acme).exists()
    assert "The recycle bin is empty" in done.content.decode()


def test_restore_with_the_parent_offered_and_checked(acme, alice, page):
    company = make(acme, "company", actor=actor_for(alice), title="Parent Spa")
    deal = make(acme, "deal", actor=actor_for(alice), title="Child", company_id=company.pk)
    deal_event = delete(acme, deal, by=alice)
    company_event = delete(acme, company, by=alice)
    client = page(alice)

    listed = client.get(LIST).content.decode()
    assert "Its company “Parent Spa” is in the bin too." in listed
    confirm = client.post(RESTORE, {"events": [deal_event.pk]}).content.decode()
    assert f'name="events" value="{company_event.pk}" id="parent-{company_event.pk}" checked' in (
        confirm
    )
    assert "Also bring back the company “Parent Spa”" in confirm

    done = client.post(
        RESTORE,
        {"events": [deal_event.pk, company_event.pk], "confirmed": "yes", "next": LIST},
        follow=True,
    )

    assert "Restored company “Parent Spa”, deal “Child”, with their ids." in messages_of(done)
    assert Deal.objects.get(pk=deal.pk).company_id == company.pk


def test_restore_without_the_parent_says_what_came_back_unlinked(acme, alice, page):
    company = make(acme, "company", actor=actor_for(alice), title="Left Spa")
    deal = make(acme, "deal", actor=actor_for(alice), title="Alone", company_id=company.pk)
    deal_event = delete(acme, deal, by=alice)
    delete(acme, company, by=alice)

    done = page(alice).post(
        RESTORE, {"events": [deal_event.pk], "confirmed": "yes", "next": LIST}, follow=True
    )

    assert any(
        m.startswith("Back without a link: deal “Alone” came back without its company")
        for m in messages_of(done)
    )
    assert Deal.objects.get(pk=deal.pk).company_id is None
    assert not Company.objects.filter(pk=company.pk).exists()


def test_a_refused_restore_shows_the_reason_and_changes_nothing(acme, alice, globex, charlie, page):
    free = made_and_deleted(acme, "contact", by=alice, last_name="Free")
    taken = made_and_deleted(acme, "contact", by=alice, last_name="Taken")
    make(globex, "contact", actor=actor_for(charlie), id=taken.entity_id)
    before = fingerprint()

    done = page(alice).post(
        RESTORE, {"events": [free.pk, taken.pk], "confirmed": "yes", "next": LIST}, follow=True
    )

    shown = " ".join(messages_of(done))
    assert "Nothing was restored" in shown
    assert f"Contact “Mario Taken” (#{taken.entity_id})" in shown
    assert fingerprint() == before
    assert "Mario Free" in done.content.decode()


def test_another_accounts_deletion_is_a_404_page(acme, alice, globex, charlie, page):
    theirs = made_and_deleted(globex, "contact", by=charlie)
    before = fingerprint()
    client = page(alice)
    assert client.post(RESTORE, {"events": [theirs.pk]}).status_code == 404
    assert client.post(RESTORE, {"events": [theirs.pk], "confirmed": "yes"}).status_code == 404
    assert fingerprint() == before


def test_employees_see_only_their_own_deletions(acme, alice, bob, page):
    made_and_deleted(acme, "contact", by=alice, last_name="OfAlice")
    made_and_deleted(acme, "contact", by=bob, last_name="OfBob")
    html = page(bob).get(LIST).content.decode()
    assert "Mario OfBob" in html
    assert "Mario OfAlice" not in html
    assert 'name="deleted_by"' not in html


def test_a_link_filtered_to_a_period_shows_that_period(acme, alice, page):
    contact = make(acme, "contact", actor=actor_for(alice), last_name="Older")
    delete(acme, contact, by=alice, now=timezone.now() - timedelta(days=5))
    made_and_deleted(acme, "contact", by=alice, last_name="Newer")
    start = (timezone.localtime(timezone.now(), acme.tzinfo) - timedelta(days=6)).date()
    end = (timezone.localtime(timezone.now(), acme.tzinfo) - timedelta(days=4)).date()

    html = page(alice).get(LIST, {"deleted_after": start, "deleted_before": end}).content.decode()

    assert "Mario Older" in html
    assert "Mario Newer" not in html
    assert "Clear filters" in html


def test_a_bad_filter_shows_its_error_beside_the_field(acme, alice, page):
    response = page(alice).get(LIST, {"deleted_after": "31/12/2026"})
    assert response.status_code == 400
    assert 'id="id_deleted_after_error"' in response.content.decode()


def test_a_whole_bulk_deletion_is_offered_and_restored_together(acme, alice, page):
    ids = [make(acme, "lead", actor=actor_for(alice), title=f"Lead {i}").pk for i in range(3)]
    result = services.records_bulk_delete(
        account=acme, entity_type="lead", ids=ids, actor=actor_for(alice)
    )
    client = page(alice)

    listed = client.get(LIST, {"operation": result.operation}).content.decode()
    assert "Restore all 3 of this deletion" in listed
    confirm = client.post(RESTORE, {"operation": result.operation}).content.decode()
    assert "Restore 3 records?" in confirm
    done = client.post(
        RESTORE, {"operation": result.operation, "confirmed": "yes", "next": LIST}, follow=True
    )

    assert "Restored lead “Lead 0”, lead “Lead 1”, lead “Lead 2”, with their ids." in (
        messages_of(done)
    )


def test_plans_without_history_see_what_it_is_and_how_to_get_it(acme, alice, bob, page):
    event = made_and_deleted(acme, "contact", by=alice)
    acme.plan = Plan.FREE
    acme.save()

    as_admin = page(alice).get(LIST).content.decode()
    as_employee = page(bob).get(LIST).content.decode()

    assert "What the recycle bin is" in as_admin
    assert "Basic, Standard, Professional, Enterprise" in as_admin
    assert 'href="/plan/">Upgrade</a>' in as_admin
    assert "Start the 15-day Professional demo" in as_admin
    assert "Mario Rossi" not in as_admin
    assert "Ask an administrator" in as_employee

    before = fingerprint()
    done = page(alice).post(RESTORE, {"events": [event.pk], "confirmed": "yes"}, follow=True)
    assert any("does not include this" in m for m in messages_of(done))
    assert fingerprint() == before


def test_anonymous_visitors_go_to_log_in(page):
    response = page(None).get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_pages_older_and_refuses_a_tampered_cursor(acme, alice, page):
    ids = [
        make(acme, "contact", actor=actor_for(alice), last_name=f"P{i:02}").pk for i in range(55)
    ]
    services.records_bulk_delete(
        account=acme, entity_type="contact", ids=ids, actor=actor_for(alice)
    )
    client = page(alice)

    first = client.get(LIST)
    older = client.get(LIST + first.context["next_url"])

    assert len(first.context["rows"]) == 50
    assert [r["event"].entity_id for r in older.context["rows"]] == sorted(ids, reverse=True)[50:]
    tampered = client.get(LIST, {"cursor": "x"})
    assert tampered.status_code == 400
    assert "The cursor is not valid" in tampered.content.decode()


def test_restore_with_nothing_selected_asks_to_select_first(acme, alice, page):
    before = fingerprint()
    done = page(alice).post(RESTORE, {"next": LIST}, follow=True)
    assert "Select the records to restore first." in messages_of(done)
    assert fingerprint() == before


def test_the_message_says_which_records_were_linked_again(acme, alice, page):
    company = make(acme, "company", actor=actor_for(alice), title="Again Spa")
    make(acme, "contact", actor=actor_for(alice), last_name="Linked", company_id=company.pk)
    event = delete(acme, company, by=alice)

    done = page(alice).post(
        RESTORE, {"events": [event.pk], "confirmed": "yes", "next": LIST}, follow=True
    )

    assert (
        "Linked again as before the deletion: contact “Mario Linked” to its company."
        in messages_of(done)
    )


def test_the_way_back_after_a_restore_stays_on_this_site(acme, alice, page):
    """A browser reads "/\\evil.example/" as "//evil.example/", another site."""
    client = page(alice)
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(RESTORE, {"next": target})
        assert response.status_code == 302
        assert response["Location"] == LIST, target
    assert client.post(RESTORE, {"next": "/crm/contacts/"})["Location"] == "/crm/contacts/"
