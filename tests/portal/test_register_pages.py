import csv
import io
import re

import pytest

from portal.extensions import db
from portal.register import services
from portal.register.models import Agency, SiteMeta
from portal.site import DEMO_KEY
from tests.factories.register import (
    days_ago,
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
    make_spot_check,
)
from tests.helpers import page


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def register(app):
    with app.app_context():
        a = make_agency(name="太原页面知识产权代理有限公司", kind="both")
        p1 = make_penalty(a, decided_on=days_ago(400), published_on=days_ago(390))
        p2 = make_penalty(a)
        old = make_penalty(a, decided_on=days_ago(2000), published_on=days_ago(1990),
                           penalty_kinds="警告", fine_amount=None)  # expired
        withdrawn = make_penalty(a, full_text="秘密全文内容")
        services.withdraw_record(withdrawn, "原处罚决定被撤销")
        make_list_entry(a, included_on=days_ago(200))
        removed = make_list_entry(a, included_on=days_ago(700), inclusion_reason="通过登记的住所或经营场所无法联系")
        services.remove_list_entry(removed, reason="已重新取得联系", removed_on=days_ago(600), authority=None)
        make_spot_check(a, result="发现问题经责令已改正", completed_on=days_ago(15))
        make_grade(a, period="2023", grade="B")
        make_grade(a, period="2024", grade="A")
        b = make_agency(name="上海页面商标代理有限公司", kind="trademark", division_code="310115")
        make_grade(b, period="2024", grade="C")
        db.session.commit()
        return {"a": a.uscc, "b": b.uscc, "p1": p1.decision_number, "p2": p2.decision_number,
                "old": old.decision_number, "withdrawn": withdrawn.decision_number,
                "removed_id": removed.id}


def test_profile_summary_and_sections(client, register):
    html = _text(client.get(f"/agencies/{register['a']}"))
    assert "近三年受到 2 次行政处罚" in html
    assert f"自 {days_ago(200).isoformat()} 起被列入经营异常名录" in html
    assert "最近一次抽查检查" in html
    assert 'class="grade"' in html and ">A<" in html  # current grade = latest period
    assert register["p1"] in html and register["p2"] in html
    assert register["withdrawn"] not in html and register["old"] not in html
    assert "已移出" in html and "已重新取得联系" in html
    assert f'/tips/new?agency={register["a"]}' in html


def test_unknown_agency_is_404(client, register):
    assert client.get("/agencies/91140105MA0000000X").status_code == 404


def test_unpublished_record_says_why_without_content(client, register):
    html = str(page(client, f"/penalties/{register['withdrawn']}", status=410))
    assert "已停止公示" in html and "撤回" in html
    assert "秘密全文内容" not in html and "太原页面知识产权代理有限公司" not in html
    assert "公示期已于" in page(client, f"/penalties/{register['old']}", status=410).get_text()


def test_penalty_detail_shows_full_text(client, register):
    full_text = page(client, f"/penalties/{register['p2']}").select_one('[class="fulltext"]')
    assert "罚款五万元" in full_text.get_text()


def test_removed_list_entry_stays_visible(client, register):
    resp = client.get(f"/list-entries/{register['removed_id']}")
    assert resp.status_code == 200
    html = _text(resp)
    assert "已移出" in html and "已重新取得联系" in html
    listing = _text(client.get("/list-entries/?active=0"))
    assert "已重新取得联系" in listing


def test_directory_filters_match_database(client, app, register):
    html = _text(client.get("/agencies/?region=310000"))
    assert "上海页面商标代理有限公司" in html and "太原页面" not in html
    html = _text(client.get("/agencies/?region=140100&kind=patent"))  # "both" counts as patent
    assert "太原页面知识产权代理有限公司" in html
    html = _text(client.get("/agencies/?grade=A"))
    assert "太原页面" in html and "上海页面" not in html
    html = _text(client.get("/agencies/?grade=B"))  # 2023's B is not the current grade
    assert "共 0 条" in html
    html = _text(client.get("/agencies/?kind=trademark&status=practising"))
    assert "共 2 条" in html


def test_directory_pagination_and_fragment(client, app):
    with app.app_context():
        for i in range(45):
            make_agency(name=f"太原分页{i:02d}专利代理有限公司")
        db.session.commit()
        total = db.session.scalar(db.select(db.func.count()).select_from(Agency))
    def names(url):
        return page(client, url).select('[data-label="机构名称"]')

    assert f"共 {total} 条，第 1 / 3 页" in page(client, "/agencies/").get_text()
    assert len(names("/agencies/")) == 20
    assert len(names("/agencies/?page=3")) == total - 40
    assert len(names("/agencies/?page=99")) == total - 40
    frag = client.get("/agencies/?page=2", headers={"HX-Request": "true"})
    body = _text(frag)
    assert "<html" not in body and 'id="results"' in body
    assert "HX-Request" in frag.headers.get("Vary", "")


def test_record_list_filters(client, register):
    html = _text(client.get("/penalties/?violation_type=虚假宣传&penalty_kind=罚款"))
    assert register["p1"] in html and register["p2"] in html
    assert register["withdrawn"] not in html
    html = _text(client.get("/penalties/?violation_type=商标代理违法"))
    assert "共 0 条" in html
    html = _text(client.get(f"/penalties/?date_from={days_ago(100).isoformat()}"))
    assert register["p2"] in html and register["p1"] not in html
    html = _text(client.get("/credit-grades/?grade=C&region=310000"))
    assert "上海页面商标代理有限公司" in html and "共 1 条" in html
    assert client.get("/spot-checks/?result=bogus&page=x").status_code == 200


def test_csv_download_public_only_with_bom(client, register):
    resp = client.get("/data/penalty.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "行政处罚决定书文号"
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {register["p1"], register["p2"]}
    agencies = list(csv.reader(io.StringIO(client.get("/data/agencies.csv").get_data().decode("utf-8-sig"))))
    assert len(agencies) == 3 and agencies[0][0] == "统一社会信用代码"
    assert client.get("/data/secrets.csv").status_code == 404


def test_downloaded_csv_reimports_unchanged(client, app, register, tmp_path):
    from portal.register.importer import plan_import

    for kind, name in (("agency", "agencies"), ("penalty", "penalty"), ("list_entry", "list_entry"),
                       ("credit_grade", "credit_grade"), ("spot_check", "spot_check")):
        path = tmp_path / f"{name}.csv"
        path.write_bytes(client.get(f"/data/{name}.csv").get_data())
        with app.app_context():
            plan = plan_import(kind, path)
            assert plan.ok, (kind, [str(e) for e in plan.errors])
            assert not plan.creates and not plan.updates, (kind, [u.changes for u in plan.updates])


def test_home_counts_latest_and_search_form(client, register):
    html = _text(client.get("/"))
    assert 'action="/search/"' in html and 'name="q"' in html
    assert register["p2"] in html  # latest publications
    assert register["withdrawn"] not in html


def test_bureaus_and_open_data_pages(client, register):
    html = _text(client.get("/bureaus/"))
    assert "太原市小店区市场监督管理局" in html and "12315" in html
    html = _text(client.get("/data/"))
    assert "/data/penalty.csv" in html and "行政处罚决定书文号" in html


def test_demo_banner_when_demo_flag(client, app, register):
    assert "演示数据" not in _text(client.get("/agencies/"))
    with app.app_context():
        db.session.add(SiteMeta(key=DEMO_KEY, value="1"))
        db.session.commit()
    assert "演示数据" in _text(client.get("/agencies/"))


def test_tables_have_data_labels(client, register):
    html = _text(client.get(f"/agencies/{register['a']}"))
    cells = re.findall(r"<td[^>]*>", html)
    assert cells and all("data-label" in c for c in cells)
