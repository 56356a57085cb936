"""Who may do what: employees read and write CRM data; only administrators manage
the plan (403 `admin_required`); helpdesk staff belong to no account and are
refused its pages and endpoints; anonymous visitors are sent to log in (pages)
or get 401 `not_authenticated` (API)."""

from __future__ import annotations

import pytest

from accounts.models import Account, Plan, PlanChange

pytestmark = pytest.mark.django_db

SLUGS = ["companies", "contacts", "leads", "deals", "products", "custom-fields"]
ACCOUNT_PAGES = ["/plan/", *[f"/crm/{slug}/" for slug in SLUGS], "/crm/contacts/new/"]


# --- Anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ACCOUNT_PAGES)
def test_anonymous_visitors_are_sent_to_log_in_and_come_back(page, url):
    response = page(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/account/"),
        ("post", "/api/v1/account/plan/"),
        ("post", "/api/v1/account/demo/"),
        *[("get", f"/api/v1/crm/{slug}/") for slug in SLUGS],
        *[("post", f"/api/v1/crm/{slug}/") for slug in SLUGS],
        *[("post", f"/api/v1/crm/{slug}/bulk-delete/") for slug in SLUGS],
        ("get", "/api/v1/crm/contacts/1/"),
        ("delete", "/api/v1/crm/contacts/1/"),
    ],
)
def test_anonymous_api_calls_are_401_not_authenticated(api, method, url):
    response = getattr(api(None), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401(api):
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/crm/contacts/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- Tokens ---------------------------------------------------------------------------------


def test_a_token_is_issued_for_a_username_and_password_and_works(api, bob):
    response = api(None).post(
        "/api/v1/auth/token/",
        {"username": "bob", "password": "correct-horse-battery-9"},
        format="json",
    )
    assert response.status_code == 200
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/crm/contacts/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "bob", "password": "wrong"}, "non_field_errors"),
        ({"username": "bob"}, "password"),
        ({"password": "x"}, "username"),
    ],
)
def test_a_token_is_refused_for_bad_credentials(api, bob, body, field):
    response = api(None).post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


# --- Employees ------------------------------------------------------------------------------


def test_employees_see_their_account_and_plan_but_not_the_plan_menu(api, page, bob):
    account = api(bob).get("/api/v1/account/")
    assert account.status_code == 200
    assert account.json()["role"] == "employee"
    assert account.json()["plan"] == "professional"
    content = page(bob).get("/crm/contacts/").content.decode()
    assert 'href="/plan/"' not in content


def test_administrators_have_the_plan_menu(page, alice):
    assert 'href="/plan/"' in page(alice).get("/crm/contacts/").content.decode()


def test_employees_cannot_change_the_plan_through_the_api(api, acme, bob):
    response = api(bob).post("/api/v1/account/plan/", {"plan": "free"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"
    assert Account.objects.get(pk=acme.pk).plan == Plan.PROFESSIONAL
    assert not PlanChange.objects.exists()


def test_employees_cannot_start_the_demo_through_the_api(api, acme, bob):
    response = api(bob).post("/api/v1/account/demo/", format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"
    assert Account.objects.get(pk=acme.pk).demo_started_at is None


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/plan/", {}),
        ("post", "/plan/change/", {"plan": "free"}),
        ("post", "/plan/demo/", {}),
    ],
)
def test_employees_are_refused_the_plan_pages(page, acme, bob, method, url, data):
    response = getattr(page(bob), method)(url, data)
    assert response.status_code == 403
    assert "Only the account&#x27;s administrators" in response.content.decode()
    acme.refresh_from_db()
    assert (acme.plan, acme.demo_started_at) == (Plan.PROFESSIONAL, None)
    assert not PlanChange.objects.exists()


# --- Helpdesk staff -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ACCOUNT_PAGES)
def test_helpdesk_staff_are_refused_account_pages(page, helen, url):
    response = page(helen).get(url)
    assert response.status_code == 403
    assert "<h1>You cannot open this page</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/account/"),
        ("post", "/api/v1/account/plan/"),
        ("post", "/api/v1/account/demo/"),
        *[("get", f"/api/v1/crm/{slug}/") for slug in SLUGS],
        ("post", "/api/v1/crm/contacts/"),
        ("post", "/api/v1/crm/contacts/bulk-delete/"),
    ],
)
def test_helpdesk_staff_are_refused_account_endpoints(api, helen, method, url):
    response = getattr(api(helen), method)(url, {"plan": "free", "ids": [1]}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_helpdesk_staff_belong_to_no_account(api, helen):
    me = api(helen).get("/api/v1/me/").json()
    assert me == {"username": "helen", "role": None, "account": None, "helpdesk": True}


def test_a_user_of_no_account_gets_a_page_that_says_so_not_a_redirect_loop(page, db):
    from tests.factories import UserFactory

    user = UserFactory(username="orphan")
    response = page(user).get("/", follow=True)
    assert response.status_code == 403
    assert "belongs to no account" in response.content.decode()
