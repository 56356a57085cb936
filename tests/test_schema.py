"""The OpenAPI schema tells the truth and stays clean: generated without a
warning, valid OpenAPI, served at /api/schema/ with its docs at /api/docs/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent


def test_spectacular_validates_the_schema_without_a_warning(tmp_path):
    out = tmp_path / "schema.yml"
    result = subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "manage.py"),
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(out),
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for slug in ("companies", "contacts", "leads", "deals", "products", "custom-fields"):
        assert f"/api/v1/crm/{slug}/" in paths
        assert f"/api/v1/crm/{slug}/{{id}}/" in paths
        assert f"/api/v1/crm/{slug}/bulk-delete/" in paths
    for path in ("/api/v1/auth/token/", "/api/v1/account/", "/api/v1/account/plan/"):
        assert path in paths
    # Errors are documented with the one error body.
    create = paths["/api/v1/crm/contacts/"]["post"]["responses"]
    assert create["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


@pytest.mark.django_db
def test_the_schema_and_its_docs_are_served_to_anyone(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert yaml.safe_load(schema.content)["info"]["title"] == "Recovery Portal API"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
