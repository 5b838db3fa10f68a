"""The HTTP API: schemathesis against the app's own OpenAPI schema, plus plain checks.

Schemathesis loads /openapi.json from the ASGI app in-process and, for every operation,
sends generated requests (valid and invalid) and checks: no 5xx, and status code,
content type, headers and body as the schema documents them.  The plain tests pin what
the schema cannot say: an unknown path gives a clean JSON 404, every HTTP response
carries the security headers, and a refused request names the field at fault.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from starlette.exceptions import StarletteDeprecationWarning

from loopscope.config import Settings
from loopscope.protocol import SCENARIO_CONFIGS, ApiError
from loopscope.server.app import create_app
from loopscope.server.security import CSP

with warnings.catch_warnings():
    # starlette.testclient warns when it finds httpx rather than httpx2 (httpx is what the
    # dev extra pins); the warning is about the test client's transport, not about loopscope.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

APP = create_app(Settings(api_docs=True))  # the schema fuzzer reads /openapi.json
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)

# FastAPI's answer when it cannot even decode a request body (see the xfail test below).
UNPARSABLE_BODY_DETAIL = "There was an error parsing the body"

BUG_UNPARSABLE_BODY = (
    "BUG: a POST body that is not UTF-8 gets FastAPI's default 400 {'detail': ...}: a status "
    "the schema does not document and not the ApiError body every /api 4xx promises "
    "(app.py has no handler for starlette's HTTPException)"
)
BUG_JSON_FIELD = (
    "BUG: a body that is not JSON gets code 'invalid_message' and field '1' (the character "
    "position from the json_invalid error's loc ('body', 1)), instead of 'invalid_json' "
    "with no field (app.py invalid_request)"
)
BUG_COMPARE_FIELD = (
    "BUG: compare_runs (training/compare.py) blames every config error on "
    "'variants.<i>.<field>', also when the bad value is in `config` itself"
)


# ---------------------------------------------------------------- schemathesis


def _status_code_conformance(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """status_code_conformance, except for the undocumented 400 on an undecodable body,
    a known bug pinned by test_unparsable_body_is_a_documented_api_error."""
    if response.status_code == 400 and response.json() == {"detail": UNPARSABLE_BODY_DETAIL}:
        return None
    return status_code_conformance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    _status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
    allow_header_conformance,
]


@SCHEMA.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    """Every operation: no server error; status, headers and body as the schema documents."""
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code < 500


def test_schema_lists_the_api() -> None:
    """The schemathesis run above covers the real routes (not an empty schema)."""
    with TestClient(APP) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/health", "/api/scenarios", "/api/protocol", "/api/compare"} <= set(paths)


# ---------------------------------------------------------------- plain tests


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(api_docs=True))) as c:
        yield c


@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/health/extra", "/api/", "/no/such/page.html", "/assets/nope.js"]
)
def test_unknown_path_is_a_clean_json_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    error = ApiError.model_validate(response.json())  # the same typed body everywhere
    assert error.code == "not_found"
    # No traceback, no file system path leaks into the answer.
    assert "Traceback" not in response.text and "/loopscope/" not in response.text


EXPECTED_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/api/health"),
        ("GET", "/api/scenarios"),
        ("GET", "/api/protocol"),
        ("GET", "/api/nope"),
        ("POST", "/api/compare"),
    ],
)
def test_security_headers_on_every_response(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={"epochs": 0} if method == "POST" else None)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
        # Added once, not duplicated by a second middleware pass.
        assert len(response.headers.get_list(name)) == 1, name


def test_csp_is_strict() -> None:
    """The CSP itself: no inline or eval'd scripts, no framing, nothing from other origins."""
    directives = {}
    for part in CSP.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in CSP
    assert "*" not in CSP


def test_index_is_served_as_html(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_health_reports_idle_counts(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    for key in ("connections", "runs", "parked_runs", "play_tasks", "workers"):
        assert body[key] == 0, key


def test_scenario_defaults_validate_against_their_config(client: TestClient) -> None:
    scenarios = client.get("/api/scenarios").json()
    assert [s["name"] for s in scenarios] == ["linear", "mlp", "classify", "charlm"]
    for s in scenarios:
        SCENARIO_CONFIGS[s["name"]].model_validate(s["defaults"])
        assert s["config_schema"]["additionalProperties"] is False


def test_protocol_schema_is_strict_json(client: TestClient) -> None:
    response = client.get("/api/protocol")
    body = json.loads(response.text, parse_constant=_no_constants)
    assert "ResumeCommand" in body["commands"]


def _no_constants(token: str) -> None:
    raise AssertionError(f"bare {token} in JSON")


# ---------------------------------------------------------------- refused requests


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 10**9}, "epochs"),
        ({"scenario": "../../etc/passwd"}, "scenario"),
        ({"variants": []}, "variants"),
        ({"variants": [{"lr": "NaN"}]}, "variants.0.lr"),
        ({"variants": [{}, {"hidden": [10**9]}], "scenario": "mlp"}, "variants.1.hidden.0"),
        ({"nope": 1}, "nope"),
    ],
)
def test_refused_compare_names_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/compare", json=body)
    assert response.status_code == 422
    error = ApiError.model_validate(response.json())
    assert error.field == field
    assert error.message.startswith(f"{field}: ")


def test_compare_refuses_a_request_that_would_train_for_long(client: TestClient) -> None:
    """Bounded by estimated work, not only by iterations: a big model on many rows is
    refused before any of it runs; the lesson's own request (3 linear runs) is answered."""
    big = {"hidden": [64, 64, 64, 64], "n_points": 2000, "batch_size": 200}
    body = {"scenario": "classify", "config": big, "variants": [{}] * 4, "epochs": 500}
    response = client.post("/api/compare", json=body)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("out_of_range", "epochs")
    lesson = {"scenario": "linear", "variants": [{"batch_size": b} for b in (None, 1, 10)]}
    response = client.post("/api/compare", json={**lesson, "epochs": 30})
    assert response.status_code == 200
    assert [len(r["losses"]) for r in response.json()["runs"]] == [30, 3000, 300]


def test_compare_blames_config_not_variant(client: TestClient) -> None:
    body = {"scenario": "mlp", "config": {"hidden": [10**9]}, "variants": [{}]}
    response = client.post("/api/compare", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == "config.hidden.0"


def test_malformed_json_body_is_invalid_json(client: TestClient) -> None:
    response = client.post(
        "/api/compare", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_json"
    assert response.json()["field"] is None


def test_unparsable_body_is_a_documented_api_error(client: TestClient) -> None:
    documented = client.get("/openapi.json").json()["paths"]["/api/compare"]["post"]["responses"]
    response = client.post(
        "/api/compare", content=b"\xff", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert str(response.status_code) in documented
    ApiError.model_validate(response.json())


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_undeclared_method_is_405_with_allow(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/compare")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    ApiError.model_validate(response.json())
