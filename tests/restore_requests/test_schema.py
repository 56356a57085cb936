"""The OpenAPI schema tells the truth about this app's endpoints: each is there
with its success status, its body and the errors it can answer."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from restore_requests import api_urls


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _path(route: str) -> str:
    return "/api/v1/" + route.replace("<int:pk>", "{id}")


def test_every_endpoint_is_described(schema):
    for pattern in api_urls.urlpatterns:
        assert _path(str(pattern.pattern)) in schema["paths"], pattern


@pytest.mark.parametrize(
    ("method", "path", "success", "errors"),
    [
        ("get", "restore-requests/", "200", {"400", "401", "403"}),
        ("post", "restore-requests/", "201", {"400", "401", "403"}),
        ("get", "restore-requests/{id}/", "200", {"401", "403", "404"}),
        ("get", "restore-requests/{id}/preview/", "200", {"400", "401", "403", "404"}),
        ("post", "restore-requests/{id}/confirm/", "202", {"400", "401", "403", "404", "409"}),
        ("post", "restore-requests/{id}/cancel/", "200", {"400", "401", "403", "404", "409"}),
        ("post", "restore-requests/{id}/undo/", "202", {"400", "401", "403", "404", "409"}),
        ("get", "restore-requests/{id}/download/", "200", {"401", "403", "404"}),
        ("post", "deletion-reports/", "201", {"400", "401", "403"}),
        ("get", "helpdesk/restore-requests/", "200", {"400", "401", "403"}),
        ("get", "helpdesk/restore-requests/{id}/", "200", {"401", "403", "404"}),
        (
            "post",
            "helpdesk/restore-requests/{id}/propose/",
            "200",
            {"400", "401", "403", "404", "409"},
        ),
        (
            "post",
            "helpdesk/restore-requests/{id}/reject/",
            "200",
            {"400", "401", "403", "404", "409"},
        ),
        (
            "post",
            "helpdesk/deletion-reports/{id}/close/",
            "200",
            {"400", "401", "403", "404", "409"},
        ),
    ],
)
def test_each_endpoint_states_its_answers(schema, method, path, success, errors):
    responses = schema["paths"]["/api/v1/" + path][method]["responses"]
    assert {code for code in responses if code.startswith("2")} == {success}
    assert errors <= set(responses)
    if "409" not in errors:  # only the actions can meet a state that refuses them
        assert "409" not in responses
    for code in errors:
        ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/Error")


def test_the_download_is_a_zip_and_the_preview_has_a_body(schema):
    download = schema["paths"]["/api/v1/restore-requests/{id}/download/"]["get"]["responses"]
    assert download["200"]["content"]["application/zip"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    preview = schema["paths"]["/api/v1/restore-requests/{id}/preview/"]["get"]["responses"]
    ref = preview["200"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body["properties"]) == {
        "snapshot",
        "taken_at",
        "option",
        "changes_nothing",
        "entities",
    }


def test_the_helpdesk_detail_describes_the_nearest_snapshots(schema):
    detail = schema["paths"]["/api/v1/helpdesk/restore-requests/{id}/"]["get"]["responses"]
    ref = detail["200"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    nearest = body["properties"]["nearest_snapshots"]
    assert nearest["type"] == "array"
    item = schema["components"]["schemas"][nearest["items"]["$ref"].rsplit("/", 1)[1]]
    assert {"recommended", "contains_deleted", "deleted_around"} <= set(item["properties"])
    assert "plan" in body["properties"]
