"""The record-kind registry is what the importer, downloads, pages, forms and search read."""

import dataclasses
import io

import pytest
from flask import url_for

from portal.extensions import db
from portal.register import kinds, queries
from portal.register.importer import plan_import
from portal.register.kinds import UnknownKind
from portal.register.models import Agency
from search.documents import KINDS as SEARCH_KINDS
from search.documents import AgencyNames, record_document
from tests.factories.register import (
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
    make_spot_check,
)


def _make_one_of_each():
    agency = make_agency()
    return [make_spot_check(agency), make_penalty(agency), make_grade(agency),
            make_list_entry(agency),
            _make_measure(agency)]  # issue 14 — association measures


def _make_measure(agency):
    """issue 14 — association measures: one measure against ``agency``."""
    from portal.association.measure_kinds import ensure_default_kinds
    from portal.register import services

    ensure_default_kinds()
    return services.publish_record("association_measure", {
        "party_uscc": agency.uscc, "measure": "警告", "facts": "未落实签名责任制",
        "basis": "《专利代理行业自律惩戒规则》第十条", "decided_by": "山西省专利代理师协会",
        "decided_on": "2026-01-05", "published_on": "2026-01-06"})


def test_lookups():
    assert [k.key for k in kinds.KINDS] == ["spot_check", "penalty", "credit_grade", "list_entry",
                                            "association_measure"]  # issue 14
    assert kinds.DATASETS[0] is kinds.AGENCY
    for kind in kinds.KINDS:
        assert kinds.get(kind.key) is kind
        assert kinds.for_model(kind.model) is kind
        assert kind.key == kind.model.KIND
        assert kinds.for_download(kind.download) is kind
    assert kinds.for_download("agencies") is kinds.AGENCY
    assert kinds.for_download("nonsense") is None
    with pytest.raises(UnknownKind) as exc:
        kinds.get("agency")  # a dataset, not a record kind
    assert exc.value.status == 404 and "kind" in exc.value.errors


@pytest.mark.parametrize("dataset", kinds.DATASETS, ids=lambda d: d.key)
def test_columns_form_and_labels_name_real_fields(dataset):
    model_fields = set(dataset.model.__table__.columns.keys())
    derived = {"agency_uscc", "agency_name", "former_names", "bureau_code",
               # issue 14 — patent agents: a penalty's agent (by certificate number) and
               # the first day of an agent's current period (the practice history)
               "agent_certificate_no", "practice_since"}
    for col in dataset.columns:
        assert col.field in model_fields | derived, col.field
        assert col.field in dataset.labels, f"{dataset.key}.{col.field} has no label"
    assert len({c.field for c in dataset.columns}) == len(dataset.columns)
    for field in getattr(dataset, "form", ()):
        assert field.name in dataset.labels
        assert field.name in {c.field for c in dataset.columns}


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.key)
def test_date_field_and_natural_key_are_columns(kind):
    columns = set(kind.model.__table__.columns.keys())
    assert kind.date_field in columns
    assert set(kind.natural_key.fields) - {"agency"} <= columns
    assert kind.natural_key.error_field in {c.field for c in kind.columns}


def test_each_kind_has_list_and_detail_pages(client, app):
    with app.app_context():
        records = _make_one_of_each()
        db.session.commit()
        with app.test_request_context():
            urls = {r.KIND: kinds.of(r).public_url(r) for r in records}
            lists = {k.key: url_for(k.list_endpoint) for k in kinds.KINDS}
    for kind in kinds.KINDS:
        assert client.get(lists[kind.key]).status_code == 200
        assert client.get(urls[kind.key]).status_code == 200


def test_csv_headers_are_import_headers_are_registry_columns(client, app):
    for dataset in kinds.DATASETS:
        resp = client.get(f"/data/{dataset.download}.csv")
        assert resp.status_code == 200
        header = resp.get_data(as_text=True).lstrip("\ufeff").splitlines()[0].split(",")
        assert header == [c.header for c in dataset.columns]
        with app.app_context():  # the download's header row is a valid import header
            plan = plan_import(dataset.key, io.BytesIO(",".join(header).encode()), "x.csv")
            assert plan.ok and plan.fields == {c.field for c in dataset.columns}


def test_search_documents_come_from_the_kinds(app_ctx):
    assert ("agency", *(k.key for k in kinds.KINDS)) == SEARCH_KINDS
    for record in _make_one_of_each():
        doc = record_document(record, lambda code: [code] if code else [],
                              AgencyNames(db.session))
        assert doc["kind"] == record.KIND
        assert doc["body"] == [b for b in kinds.of(record).search_text(record).body if b]


def test_a_new_kind_is_one_declaration(monkeypatch, client, app):
    """Register a throwaway kind (reusing the spot check model and templates): it is
    importable and downloadable, and listed on the open-data page, without other edits."""
    fake = dataclasses.replace(kinds.SPOT_CHECK, key="fake_check", download="fake-checks",
                               label="假的检查")
    monkeypatch.setattr(kinds, "KINDS", (*kinds.KINDS, fake))
    monkeypatch.setattr(kinds, "DATASETS", (*kinds.DATASETS, fake))
    with app.app_context():
        queries.forget_counts()
        assert kinds.get("fake_check") is fake
        assert queries.home_counts()["fake_check"] == 0
        header = ",".join(c.header for c in fake.columns)
        assert plan_import("fake_check", io.BytesIO(header.encode()), "x.csv").ok
        assert not plan_import("no_such_kind", io.BytesIO(header.encode()), "x.csv").ok
    page = client.get("/data/").get_data(as_text=True)
    assert "假的检查" in page and "fake-checks.csv" in page
    assert client.get("/data/fake-checks.csv").status_code == 200


def test_agency_is_a_dataset_not_a_record_kind():
    assert kinds.AGENCY.model is Agency
    assert kinds.dataset("agency") is kinds.AGENCY
    assert "agency" not in [k.key for k in kinds.KINDS]
