"""The JSON API: filters against database counts, cursor pagination, conditional GET,
CORS, problem+json, 410, 429 and the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from portal.extensions import db
from portal.register import services
from portal.register.models import Agency, Penalty
from tests.factories.register import make_agency, make_grade, make_penalty, make_spot_check


def get_json(client, url, status=200, **kw):
    response = client.get(url, **kw)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response, json.loads(response.get_data(as_text=True))


@pytest.fixture
def register(app_ctx):
    xiaodian = [make_agency() for _ in range(3)]
    datong = [make_agency(division_code="140202", kind="trademark") for _ in range(2)]
    make_grade(xiaodian[0], grade="D")
    make_grade(datong[0], grade="D")
    make_grade(xiaodian[1], grade="A")
    penalties = [make_penalty(xiaodian[0]), make_penalty(datong[1]), make_penalty(None)]
    make_spot_check(xiaodian[2])
    db.session.commit()
    return {"xiaodian": xiaodian, "datong": datong, "penalties": penalties}


def all_items(client, url):
    items, seen_urls = [], 0
    while url:
        _r, body = get_json(client, url)
        items += body["items"]
        url = body["page"]["next"]
        seen_urls += 1
        assert seen_urls < 100
    return items


@pytest.mark.parametrize("query, condition", [
    ("", None),
    ("region=140100", Agency.division_code.like("1401%")),
    ("region=140200", Agency.division_code.like("1402%")),
    ("kind=trademark", Agency.kind.in_(("trademark", "both"))),
    ("status=practising", Agency.status == "practising"),
])
def test_agency_filters_match_database_counts(client, register, query, condition):
    items = all_items(client, f"/api/v1/agencies?limit=2&{query}")
    expected = db.session.scalar(select(func.count()).select_from(Agency).where(
        condition if condition is not None else True))
    assert len(items) == expected
    assert len({i["uscc"] for i in items}) == expected


def test_agency_grade_filter_uses_current_grade(client, register):
    items = all_items(client, "/api/v1/agencies?grade=D&region=140100")
    assert [i["uscc"] for i in items] == [register["xiaodian"][0].uscc]
    assert items[0]["current_grade"] == "D"
    assert items[0]["region"].startswith("山西省太原市")


def test_penalty_region_filter_counts(client, register):
    all_ = all_items(client, "/api/v1/penalties?limit=1")
    assert len(all_) == db.session.scalar(
        select(func.count()).select_from(Penalty).where(Penalty.public_filter()))
    datong = all_items(client, "/api/v1/penalties?region=140200")
    assert [p["decision_number"] for p in datong] == [register["penalties"][1].decision_number]


def test_agency_detail_has_records_and_validators(client, register):
    agency = register["xiaodian"][0]
    response, body = get_json(client, f"/api/v1/agencies/{agency.uscc.lower()}")
    assert body["agency"]["uscc"] == agency.uscc
    assert len(body["records"]["penalty"]) == 1
    assert body["records"]["credit_grade"][0]["grade"] == "D"
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    again = client.get(f"/api/v1/agencies/{agency.uscc}",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_conditional_get_changes_after_an_update(client, register):
    response, _ = get_json(client, "/api/v1/penalties")
    etag = response.headers["ETag"]
    assert client.get("/api/v1/penalties", headers={"If-None-Match": etag}).status_code == 304
    make_penalty(register["xiaodian"][1])
    db.session.commit()
    assert client.get("/api/v1/penalties", headers={"If-None-Match": etag}).status_code == 200


def test_cursor_pagination_is_stable_while_rows_are_added(client, register):
    before = {a.uscc for a in db.session.scalars(select(Agency))}
    _r, first = get_json(client, "/api/v1/agencies?limit=2")
    added = [make_agency(name="阿阿阿新增知识产权代理有限公司"), make_agency()]
    db.session.commit()
    seen = [i["uscc"] for i in first["items"]]
    seen += [i["uscc"] for i in all_items(client, first["page"]["next"])]
    assert len(seen) == len(set(seen)), "no row twice"
    assert before <= set(seen), "no existing row skipped"
    assert {a.uscc for a in added} <= set(seen), "rows added behind the cursor come last"


def test_changed_since_orders_by_change(client, register):
    agency = register["datong"][0]
    _r, body = get_json(client, "/api/v1/agencies?changed_since=2000-01-01")
    assert len(body["items"]) == 5
    stamp = body["items"][-1]["updated_at"]
    services.upsert_agency({**_agency_fields(agency), "name": "大同改名知识产权代理有限公司"})
    db.session.commit()
    _r, later = get_json(client, f"/api/v1/agencies?changed_since={stamp}")
    assert later["items"][-1]["uscc"] == agency.uscc
    assert later["items"][-1]["name"] == "大同改名知识产权代理有限公司"


def _agency_fields(agency):
    return {"uscc": agency.uscc, "name": agency.name, "kind": agency.kind,
            "division_code": agency.division_code}


def test_cors_headers(client, register):
    response = client.get("/api/v1/bureaus", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/agencies", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("url, param", [
    ("/api/v1/agencies?grade=Z", "grade"),
    ("/api/v1/agencies?region=999999", "region"),
    ("/api/v1/agencies?limit=0", "limit"),
    ("/api/v1/agencies?cursor=@@@", "cursor"),
    ("/api/v1/agencies?changed_since=yesterday", "changed_since"),
    ("/api/v1/penalties?date_from=2025-13-01", "date_from"),
    ("/api/v1/penalties?penalty_kind=nope", "penalty_kind"),
])
def test_bad_input_is_problem_json(client, register, url, param):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == 400 and param in body["errors"]


def test_unknown_paths_and_agencies_are_problem_404(client, register):
    for url in ("/api/v1/nothing-here", "/api/v1/agencies/91140105MA0000000X",
                "/api/v1/penalties/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.mimetype == "application/problem+json"


def test_withdrawn_record_answers_410_with_reason(client, register):
    penalty = register["penalties"][0]
    services.withdraw_record(penalty, "处罚决定已被撤销")
    db.session.commit()
    response = client.get(f"/api/v1/penalties/{penalty.id}")
    assert response.status_code == 410
    body = response.get_json(force=True)
    assert body["reason"] == "withdrawn" and body["status_changed_at"]
    assert response.mimetype == "application/problem+json"
    ids = [p["id"] for p in all_items(client, "/api/v1/penalties")]
    assert penalty.id not in ids


def test_openapi_document_validates_and_covers_every_kind(client, register):
    _r, spec = get_json(client, "/api/v1/openapi.json")
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    for path in ("/agencies", "/agencies/{uscc}", "/penalties", "/penalties/{record_id}",
                 "/spot-checks", "/credit-grades", "/list-entries", "/search", "/bureaus",
                 "/divisions"):
        assert path in spec["paths"], path


def test_responses_conform_to_the_document(client, register):
    """Every list and detail response validates against its schema in the document."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    _r, spec = get_json(client, "/api/v1/openapi.json")
    registry = Registry().with_resource("urn:spec", Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    penalty = register["penalties"][0]
    agency = register["xiaodian"][0]
    urls = {"/agencies": "/api/v1/agencies", "/penalties": "/api/v1/penalties",
            "/spot-checks": "/api/v1/spot-checks", "/credit-grades": "/api/v1/credit-grades",
            "/list-entries": "/api/v1/list-entries", "/bureaus": "/api/v1/bureaus",
            "/divisions": "/api/v1/divisions?parent=140000", "/datasets": "/api/v1/datasets",
            "/agencies/{uscc}": f"/api/v1/agencies/{agency.uscc}",
            "/penalties/{record_id}": f"/api/v1/penalties/{penalty.id}"}
    for path, url in urls.items():
        _r, body = get_json(client, url)
        ref = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"]["$ref"]
        schema = {"$ref": "urn:spec" + ref}
        errors = list(Draft202012Validator(schema, registry=registry).iter_errors(body))
        assert not errors, (path, [e.message for e in errors[:3]])


def test_docs_page_lists_endpoints(client, register):
    response = client.get("/api/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "/agencies/{uscc}" in text and "openapi.json" in text


def test_divisions_and_bureaus(client, register):
    _r, body = get_json(client, "/api/v1/divisions")
    assert "140000" in [d["code"] for d in body["items"]]
    _r, body = get_json(client, "/api/v1/divisions?parent=140100")
    assert "140105" in [d["code"] for d in body["items"]]
    _r, body = get_json(client, "/api/v1/bureaus")
    agency = register["xiaodian"][0]
    listed = next(b for b in body["items"] if b["code"] == agency.bureau.code)
    assert listed["agency_count"] == db.session.scalar(
        select(func.count()).select_from(Agency).where(Agency.bureau_id == agency.bureau_id))
