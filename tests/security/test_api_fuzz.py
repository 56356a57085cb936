"""API fuzzing: schemathesis generates requests for every operation of the OpenAPI
schema at /api/schema/ and sends them to the app in-process (WSGI, on the test
database), authenticated as an administrator, an employee and helpdesk staff.
Every answer must be no 5xx and conform to the schema: status codes, content
types, headers and bodies.

Every check of schemathesis runs (server errors, status codes, content types,
headers, bodies, methods the schema does not list, calls without credentials…)
but two about how strict input validation is, which this API is not meant to
pass: positive_data_acceptance (a schema-valid request may still break a rule
the schema cannot say: the seven-day window, an opaque cursor) and
negative_data_rejection (DRF reads 0 as a string "0" for a text field, as a
boolean for a flag). Bad input has its own table: test_bad_input.py. Requests
are generated in both modes (valid and invalid data).

The CI run is bounded (FUZZ_EXAMPLES per operation and caller, derandomized,
no deadline). A longer run:

    FUZZ_EXAMPLES=200 pytest tests/security/test_api_fuzz.py -p no:randomly

Figures (operations, requests, failures) are written to var/security/api-fuzz.json.
"failures" is counted from the cases as they run: the operations (per caller)
that had a failing case, each of which also fails its own test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis.errors import HypothesisException
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.conftest import reset_throttle_counters
from tests.factories import make

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
FIGURES = Path(__file__).resolve().parents[2] / "var" / "security" / "api-fuzz.json"

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

TALLY: dict = {"requests": 0, "operations": set(), "by_caller": {}, "failed": set()}


@pytest.fixture(autouse=True)
def _keep_the_test_database_connection():
    """The WSGI handler closes the database connection at the end of each request
    (request_finished); Django's test client unhooks that, and so does this, so the
    app answers inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(acme, alice, bob, helen):
    """Tokens of the three callers, and something of Acme's for ids to find."""
    for entity_type in ("company", "contact", "lead", "deal", "product"):
        make(acme, entity_type)
    return {
        "admin": Token.objects.get_or_create(user=alice)[0].key,
        "employee": Token.objects.get_or_create(user=bob)[0].key,
        "helpdesk": Token.objects.get_or_create(user=helen)[0].key,
    }


@pytest.mark.parametrize("caller", ["admin", "employee", "helpdesk"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, caller, callers):
    reset_throttle_counters()  # many requests of one user in a row are not the point here
    try:
        case.call_and_validate(
            headers={"Authorization": f"Token {callers[caller]}"},
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
        )
    except HypothesisException:
        raise  # Hypothesis's own flow (an example it rejects), not an answer of the API
    except (Exception, BaseExceptionGroup):  # schemathesis reports checks as a group
        _count(case, caller)
        TALLY["failed"].add(f"{caller}: {case.operation.label}")
        raise
    _count(case, caller)


def _count(case, caller):
    TALLY["requests"] += 1
    TALLY["operations"].add(case.operation.label)  # a case may try another method
    TALLY["by_caller"][caller] = TALLY["by_caller"].get(caller, 0) + 1


def test_zz_every_operation_was_fuzzed_and_figures_are_written():
    """Runs after the fuzzing (same module, later name): every operation of the
    schema was called at least once, and no case failed."""
    operations = {
        f"{result.ok().method.upper()} {result.ok().path}" for result in schema.get_all_operations()
    }
    if not TALLY["requests"]:
        pytest.skip("run together with test_every_operation_answers_as_its_schema_says")
    missing = operations - TALLY["operations"]
    figures = {
        "operations": len(operations),
        "operations_not_called": len(missing),
        "callers": sorted(TALLY["by_caller"]),
        "examples_per_operation_and_caller": EXAMPLES,
        "requests": TALLY["requests"],
        "requests_by_caller": TALLY["by_caller"],
        "failures": len(TALLY["failed"]),
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    print("\nAPI fuzzing:", json.dumps(figures))
    assert not missing, sorted(missing)
    assert not TALLY["failed"], sorted(TALLY["failed"])
