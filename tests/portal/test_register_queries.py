"""Read-side queries kept fast for large registers: same answers as the plain rules."""

import csv
import io

from portal.extensions import db
from portal.register import queries, services
from portal.register.models import Agency, Penalty
from tests.factories.register import days_ago, make_agency, make_grade, make_penalty


def _rows(client, name):
    raw = client.get(f"/data/{name}.csv").get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(raw)))


def test_current_grade_filter_uses_latest_public_period(client, app):
    with app.app_context():
        upgraded = make_agency(name="甲当前等级专利代理有限公司")
        make_grade(upgraded, period="2023", grade="B")
        make_grade(upgraded, period="2024", grade="A")
        withdrawn_latest = make_agency(name="乙撤回等级专利代理有限公司")
        make_grade(withdrawn_latest, period="2023", grade="C")
        services.withdraw_record(make_grade(withdrawn_latest, period="2024", grade="A"), "评价有误")
        only_withdrawn = make_agency(name="丙无公示等级专利代理有限公司")
        services.withdraw_record(make_grade(only_withdrawn, period="2024", grade="D"), "评价有误")
        make_agency(name="丁从未评价专利代理有限公司")
        db.session.commit()
        assert queries.current_grades([upgraded.id, withdrawn_latest.id, only_withdrawn.id]) == {
            upgraded.id: "A", withdrawn_latest.id: "C"}

    def names(query):
        html = client.get(f"/agencies/?{query}").get_data(as_text=True)
        return {n for n in ("甲", "乙", "丙", "丁") if f"{n}当前" in html or f"{n}撤回" in html
                or f"{n}无公示" in html or f"{n}从未" in html}

    assert names("grade=A") == {"甲"}
    assert names("grade=B") == set()  # 2023's B is history
    assert names("grade=C") == {"乙"}  # the withdrawn 2024 grade does not count
    assert names("grade=D") == set()
    assert names("grade=none") == {"丙", "丁"}
    page = client.get("/agencies/?grade=A").get_data(as_text=True)
    assert "共 1 条" in page and ">A<" in page


def test_region_filter_covers_province_city_and_district(client, app):
    with app.app_context():
        make_agency(name="小店区域测试专利代理有限公司", division_code="140105")
        make_agency(name="大同区域测试专利代理有限公司", division_code="140212")
        make_agency(name="浦东区域测试专利代理有限公司", division_code="310115")
        db.session.commit()

    def found(region):
        html = client.get(f"/agencies/?region={region}").get_data(as_text=True)
        return {n for n in ("小店", "大同", "浦东") if f"{n}区域测试" in html}

    assert found("140000") == {"小店", "大同"}
    assert found("140100") == {"小店"}
    assert found("140105") == {"小店"}
    assert found("140200") == {"大同"}
    assert found("310000") == {"浦东"}
    assert found("") == {"小店", "大同", "浦东"}


def test_home_counts_follow_changes_at_once(client, app):
    with app.app_context():
        agency = make_agency()
        first = make_penalty(agency)
        db.session.commit()
        first_id, first_number = first.id, first.decision_number
    assert client.get("/data/").status_code == 200
    with app.app_context():
        assert queries.home_counts()["penalty"] == 1
        make_penalty(agency=None, decided_on=days_ago(10), published_on=days_ago(5))
        db.session.commit()
        assert queries.home_counts()["penalty"] == 2
        services.withdraw_record(db.session.get(Penalty, first_id), "原处罚决定被撤销")
        db.session.commit()
        assert queries.home_counts()["penalty"] == 1
    listing = client.get("/penalties/").get_data(as_text=True)
    assert "共 1 条" in listing and first_number not in listing


def test_agency_csv_keeps_former_names_with_their_agency_across_batches(client, app,
                                                                         monkeypatch):
    monkeypatch.setattr(queries, "EXPORT_BATCH", 2)
    with app.app_context():
        made = []
        for i in range(5):
            a = make_agency(name=f"批次{i}新名专利代理有限公司")
            made.append(a.uscc)
        services.upsert_agency({"uscc": made[3], "name": "批次3改名后专利代理有限公司",
                                "kind": "patent", "division_code": "140105"})
        db.session.commit()
        former = {a.uscc: [f.name for f in a.former_names]
                  for a in db.session.scalars(db.select(Agency))}
    rows = _rows(client, "agencies")
    header = rows[0]
    by_uscc = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(made) <= set(by_uscc)
    for uscc, names in former.items():
        assert by_uscc[uscc]["曾用名"] == "；".join(names)
    assert by_uscc[made[3]]["曾用名"] == "批次3新名专利代理有限公司"
    assert by_uscc[made[3]]["监管部门代码"] == "140105"
    assert by_uscc[made[0]]["机构类型"] == "专利代理"
