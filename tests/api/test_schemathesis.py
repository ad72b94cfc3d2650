"""Property-based test of the whole JSON API against its own OpenAPI document
(schemathesis, through the Flask app as WSGI: no network, no server).

For every operation in /api/v1/openapi.json schemathesis generates requests from the
documented parameters (valid ones, and some not) and checks that the answer is never a
5xx, that its status code and content type are documented for the operation, and that
the body and documented headers conform to the schemas.  Bounded (a few examples per
operation, no deadline) so it runs in seconds.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.extensions import db
from portal.register import services
from tests.factories.register import (
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
    make_spot_check,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
MAX_EXAMPLES = 12


@pytest.fixture
def api_app(app):
    """A small register with one of everything and a withdrawn record (indexed on commit)."""
    with app.app_context():
        agencies = [make_agency(), make_agency(division_code="140202", kind="trademark"),
                    make_agency(name="太原专利商标代理有限公司")]
        make_grade(agencies[0], grade="D")
        make_spot_check(agencies[1])
        make_list_entry(agencies[2])
        penalties = [make_penalty(agencies[0]), make_penalty(None)]
        db.session.commit()
        services.withdraw_record(penalties[1], "处罚决定已被撤销")
        db.session.commit()
    return app


def operations(app) -> list:
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in loaded.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_openapi_document(api_app, mode):
    """Every operation, valid and invalid parameters.  (schemathesis's pytest plugin
    needs ``Item._nodeid``, which pytest 9 removed: the operations are driven here with
    its Python API, one Hypothesis run per operation.)"""
    ops = operations(api_app)
    assert len(ops) >= 10
    failures = [f"{operation.label}: {failure}" for operation in ops
                if (failure := _failure(operation, mode)) is not None]
    assert not failures, "\n\n".join(failures)


def _failure(operation, mode) -> str | None:
    """What schemathesis found wrong with ``operation`` (None: nothing)."""
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    def check(case):
        case.call_and_validate(checks=CHECKS)

    try:
        check()
    except Unsatisfiable:  # negative mode: nothing of this operation can be invalid
        return None
    except Exception as exc:  # noqa: BLE001 - every kind of failure is reported
        return f"{type(exc).__name__}: {exc}"
    return None


def test_every_api_route_is_documented(api_app):
    """No endpoint of the blueprint escapes the document (so none escapes the test above)."""
    client = api_app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {"/api/v1" + path for path in spec["paths"]}
    rules = {_openapi_path(rule) for rule in api_app.url_map.iter_rules()
             if rule.endpoint.startswith("api.")
             and rule.endpoint not in ("api.unknown", "api.openapi")}
    assert rules - documented == set()


def _openapi_path(rule) -> str:
    """/api/v1/penalties/<int:record_id> -> /api/v1/penalties/{record_id}."""
    return re.sub(r"<(?:[^<>]+:)?([^<>:]+)>", r"{\1}", rule.rule)
