"""Subscription > Upgrade and the 15-day Professional demo, on the Plan page and
the API: a change of plan is recorded; the demo starts once per account (a
second start is 409 `demo_already_used`), grants History for 15 days (R3) and
ends by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Capability, plan_allows
from accounts.models import Account, Plan, PlanChange, Role
from accounts.services import demo_start, plan_change
from recovery_portal.errors import AdminRequired, NotFound
from tests.factories import AccountFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def initech(db):
    return AccountFactory(name="Initech", plan=Plan.FREE, timezone="America/Chicago")


@pytest.fixture
def peter(initech):
    return member(initech, Role.ADMIN, username="peter")


def _refresh(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)


# --- Upgrade --------------------------------------------------------------------------------


def test_the_services_change_the_plan_and_start_the_demo_for_administrators_only(initech):
    """Whoever calls them (a page, the API, a script): an employee is refused with
    admin_required, another account's administrator with not_found."""
    milton = member(initech, Role.EMPLOYEE, username="milton")
    bill = member(AccountFactory(name="Other"), Role.ADMIN, username="bill")
    for actor, error in ((milton, AdminRequired), (bill, NotFound)):
        with pytest.raises(error):
            plan_change(account=initech, plan=Plan.STANDARD, actor=actor)
        with pytest.raises(error):
            demo_start(account=initech, actor=actor)
    account = _refresh(initech)
    assert (account.plan, account.demo_started_at) == (Plan.FREE, None)
    assert not PlanChange.objects.filter(account=initech).exists()


def test_an_administrator_upgrades_through_the_api_and_the_change_is_recorded(api, initech, peter):
    response = api(peter).post("/api/v1/account/plan/", {"plan": "standard"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == "standard"
    assert body["allows"] == {"history": True, "restore": True, "report": True}
    assert _refresh(initech).plan == Plan.STANDARD
    change = PlanChange.objects.get(account=initech)
    assert (change.kind, change.from_plan, change.to_plan) == ("upgrade", "free", "standard")
    assert (change.changed_by, change.changed_by_name) == (peter, "peter")


def test_an_administrator_upgrades_on_the_plan_page(page, initech, peter):
    response = page(peter).post("/plan/change/", {"plan": "basic"}, follow=True)
    assert response.redirect_chain == [("/plan/", 302)]
    content = response.content.decode()
    assert "Your plan is now Basic." in content
    assert "Your plan: Basic" in content
    assert _refresh(initech).plan == Plan.BASIC
    assert PlanChange.objects.filter(account=initech, kind="upgrade", to_plan="basic").count() == 1


@pytest.mark.parametrize("plan", ["gold", "", "FREE", None])
def test_an_unknown_plan_is_refused_naming_the_field(api, initech, peter, plan):
    response = api(peter).post("/api/v1/account/plan/", {"plan": plan}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "plan" in response.json()["fields"]
    assert _refresh(initech).plan == Plan.FREE
    assert not PlanChange.objects.exists()


def test_an_unknown_plan_on_the_page_says_why_and_changes_nothing(page, initech, peter):
    response = page(peter).post("/plan/change/", {"plan": "gold"}, follow=True)
    assert "Unknown plan" in response.content.decode()
    assert _refresh(initech).plan == Plan.FREE
    assert not PlanChange.objects.exists()


def test_choosing_the_current_plan_records_nothing(api, initech, peter):
    response = api(peter).post("/api/v1/account/plan/", {"plan": "free"}, format="json")
    assert response.status_code == 200
    assert not PlanChange.objects.exists()


def test_the_plan_page_shows_what_each_plan_allows(page, initech, peter):
    content = page(peter).get("/plan/").content.decode()
    assert "Your plan: Free" in content
    for label in ("Free", "Basic", "Standard", "Professional", "Enterprise"):
        assert f'<th scope="row">{label}' in content
    free_row = content.split('<th scope="row">Free')[1].split("</tr>")[0]
    assert free_row.count('class="no"') == 2 and free_row.count('class="yes"') == 1
    assert "Start the 15-day Professional demo" in content


def test_the_plan_change_is_listed_on_the_plan_page(page, initech, peter):
    client = page(peter)
    client.post("/plan/change/", {"plan": "standard"})
    content = client.get("/plan/").content.decode()
    assert "Plan changed (Free → Standard) by peter" in content


# --- The demo -------------------------------------------------------------------------------


def test_r3_the_demo_starts_once_and_grants_history(api, initech, peter):
    client = api(peter)
    response = client.post("/api/v1/account/demo/", format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["demo_active"] is True
    assert body["demo_available"] is False
    assert body["allows"]["history"] is True
    assert body["allows"]["restore"] is False  # R17: the demo is not a subscription
    account = _refresh(initech)
    assert body["demo_ends_at"] == (account.demo_started_at + timedelta(days=15)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    again = client.post("/api/v1/account/demo/", format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "demo_already_used"
    assert _refresh(initech).demo_started_at == account.demo_started_at
    assert PlanChange.objects.filter(account=initech, kind="demo").count() == 1


def test_r3_the_demo_starts_once_on_the_plan_page(page, initech, peter):
    client = page(peter)
    first = client.post("/plan/demo/", follow=True)
    assert "Your 15-day Professional demo has started" in first.content.decode()
    assert "Demo: 15 days left" in first.content.decode()  # the header's badge
    started = _refresh(initech).demo_started_at
    second = client.post("/plan/demo/", follow=True)
    assert "already used its 15-day Professional demo" in second.content.decode()
    assert _refresh(initech).demo_started_at == started
    assert PlanChange.objects.filter(account=initech, kind="demo").count() == 1


def test_the_demo_message_names_the_last_day_in_the_accounts_time_zone(page, initech, peter):
    """UTC+14: for most of the UTC day, the account's date is a day ahead of UTC's."""
    Account.objects.filter(pk=initech.pk).update(timezone="Pacific/Kiritimati")
    text = page(peter).post("/plan/demo/", follow=True).content.decode()
    account = _refresh(initech)
    ends = timezone.localtime(account.demo_started_at + timedelta(days=15), account.tzinfo)
    assert f"it ends on {ends:%d %B %Y}." in text


def test_r3_the_demo_ends_by_itself_after_fifteen_days(api, page, initech, peter):
    # The demo started 15 days (and a minute) ago: nobody ends it, time does.
    started = timezone.now() - timedelta(days=15, minutes=1)
    Account.objects.filter(pk=initech.pk).update(demo_started_at=started)
    body = api(peter).get("/api/v1/account/").json()
    assert body["demo_active"] is False
    assert body["demo_available"] is False
    assert body["allows"]["history"] is False
    assert not plan_allows(_refresh(initech), Capability.HISTORY)
    content = page(peter).get("/plan/").content.decode()
    assert "The 15-day Professional demo was used" in content
    assert "Start the 15-day Professional demo" not in content
    again = api(peter).post("/api/v1/account/demo/", format="json")
    assert again.status_code == 409


def test_r3_the_demo_still_runs_on_its_last_day(api, initech, peter):
    started = timezone.now() - timedelta(days=14, hours=23)
    Account.objects.filter(pk=initech.pk).update(demo_started_at=started)
    body = api(peter).get("/api/v1/account/").json()
    assert body["demo_active"] is True
    assert body["allows"]["history"] is True


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example"]
)
def test_after_starting_the_demo_the_page_goes_back_only_within_this_site(
    page, initech, peter, next_url
):
    response = page(peter).post("/plan/demo/", {"next": next_url})
    assert response["Location"] == "/plan/"


def test_after_starting_the_demo_the_page_goes_back_where_it_was_asked(page, initech, peter):
    response = page(peter).post("/plan/demo/", {"next": "/crm/contacts/"})
    assert response["Location"] == "/crm/contacts/"
