"""Atom feeds (parsed back with feedparser), filtered downloads and the JSON Lines dump,
the search endpoint."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import feedparser
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.register import services
from portal.register.models import Agency, Penalty
from tests.factories.register import make_agency, make_grade, make_penalty


@pytest.fixture
def register(app_ctx):
    taiyuan = [make_agency() for _ in range(3)]
    datong = make_agency(division_code="140202")
    make_grade(taiyuan[0], grade="D")
    penalties = [make_penalty(taiyuan[0]), make_penalty(datong)]
    db.session.commit()
    return {"taiyuan": taiyuan, "datong": datong, "penalties": penalties}


def link(penalty):
    return "http://localhost/penalties/" + quote(penalty.decision_number)


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_feeds_per_kind_region_and_agency(client, register):
    penalties = register["penalties"]
    feed = parse(client, "/feeds/penalties.atom")
    assert {e.link for e in feed.entries} == {link(p) for p in penalties}
    feed = parse(client, "/feeds/penalties.atom?region=140200")
    assert [e.link for e in feed.entries] == [link(penalties[1])]
    feed = parse(client, f"/feeds/agencies/{register['taiyuan'][0].uscc}.atom")
    assert len(feed.entries) == 2  # its penalty and its grade
    assert len(parse(client, "/feeds/all.atom?region=140100").entries) == 2
    assert client.get("/feeds/all.atom?region=999999").status_code == 404


def test_withdrawn_record_updates_its_entry(client, register):
    penalty = register["penalties"][0]
    before = parse(client, "/feeds/penalties.atom")
    services.withdraw_record(penalty, "处罚决定已被撤销")
    db.session.commit()
    after = parse(client, "/feeds/penalties.atom")
    entry = next(e for e in after.entries if e.link == link(penalty))
    assert entry.id in {e.id for e in before.entries}, "the same entry, updated"
    assert "处罚决定已被撤销" in entry.summary
    assert len(after.entries) == len(before.entries)


def test_filtered_csv_matches_database(client, register):
    response = client.get("/api/v1/agencies.csv?region=140100")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    expected = db.session.scalar(select(func.count()).select_from(Agency)
                                 .where(Agency.division_code.like("1401%")))
    assert rows[0][0] == "统一社会信用代码"
    assert len(rows) - 1 == expected
    assert register["datong"].uscc not in {r[0] for r in rows}


def test_filtered_xlsx_and_jsonl(client, register):
    response = client.get("/api/v1/penalties.xlsx?region=140200")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.values)
    assert rows[0][0] == "行政处罚决定书文号"
    assert [r[0] for r in rows[1:]] == [register["penalties"][1].decision_number]
    lines = client.get("/api/v1/penalties.jsonl").get_data(as_text=True).splitlines()
    assert len(lines) == db.session.scalar(select(func.count()).select_from(Penalty))
    assert json.loads(lines[0])["dataset"] == "penalty"


def test_dump_has_every_agency_and_public_record(client, register):
    lines = [json.loads(x) for x in client.get("/api/v1/dump.jsonl").get_data(
        as_text=True).splitlines()]
    by = {}
    for line in lines:
        by.setdefault(line["dataset"], []).append(line)
    assert len(by["agency"]) == db.session.scalar(select(func.count()).select_from(Agency))
    assert len(by["penalty"]) == 2 and len(by["credit_grade"]) == 1


def test_datasets_list_licence_and_last_update(client, register):
    body = client.get("/api/v1/datasets").get_json()
    penalty = next(d for d in body["items"] if d["key"] == "penalty")
    assert penalty["rows"] == 2 and penalty["licence"] == "CC BY 4.0"
    assert penalty["last_updated"] and penalty["formats"]["csv"].endswith("/penalties.csv")


def test_search_endpoint(client, register):
    response = client.get("/api/v1/search?q=虚假宣传&kind=penalty&view=records")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["total"] == 2
    assert {i["kind"] for i in body["items"]} == {"penalty"}, body
    assert body["items"][0]["api_url"].startswith("http://localhost/api/v1/penalties/")
    agency = register["taiyuan"][0]
    body = client.get(f"/api/v1/search?q={agency.uscc}").get_json()
    assert [i["id"] for i in body["items"]] == [agency.uscc]
    assert client.get("/api/v1/search?date_from=nope").status_code == 400
