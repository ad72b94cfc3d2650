"""The tip form end to end through the test client: storage, receipt, bad input."""

import hashlib
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import OperationalError

from intake import codes, services, storage
from intake.models import Attachment, OutboxMail, Tip, TipEvent
from portal.extensions import db
from tests.factories.intake import PDF, PNG, docx_bytes, form_data, odt_bytes, xlsx_bytes
from tests.factories.register import make_agency

CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="((?:[0-9A-Z]{4}-){4}[0-9A-Z]{2})"')


def post(client, data, files=(), **kw):
    payload = dict(data)
    if files:
        payload["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/tips/new", data=payload, content_type="multipart/form-data", **kw)


def uploads(app):
    path = app.config["UPLOAD_DIR"]
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def tip_count(app):
    with app.app_context():
        return db.session.query(Tip).count(), db.session.query(TipEvent).count(), \
            db.session.query(Attachment).count()


def submit_ok(client, data=None, files=()):
    """File a tip; the receipt is the POST's own response (no receipt state is kept)."""
    response = post(client, data or form_data(), files)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="receipt"' in html, html[:2000]
    return CODE_RE.search(html).group(1), html


def test_form_page_lists_categories_with_explanations(client):
    html = client.get("/tips/new").get_data(as_text=True)
    assert "代理非正常专利申请" in html and "团伙作案" in html
    assert 'name="csrf_token"' in html or "csrf" in html
    assert 'data-maxlength-counter="description-counter"' in html
    assert 'class="hp-field"' in html
    assert "140000" in html and "山西省" in html  # province select


def test_form_prefills_agency_from_profile_link(app, client):
    with app.app_context():
        agency = make_agency(name="晋阳专利代理事务所")
        db.session.commit()
        uscc = agency.uscc
    html = client.get(f"/tips/new?agency={uscc}").get_data(as_text=True)
    assert f'value="晋阳专利代理事务所（{uscc}）"' in html


def test_submit_stores_tip_files_and_shows_code_once(app, client):
    code, html = submit_ok(client, files=[("合同.pdf", PDF), ("截图.png", PNG)])
    assert len(codes.normalize(code)) == 18
    ref = re.search(r'id="tip-reference">([^<]+)<', html).group(1)
    assert re.fullmatch(r"JB-\d{4}-\d{6}", ref)
    assert "太原市小店区市场监督管理局" in html
    assert "data-print" in html and "onclick" not in html
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.reference == ref
        assert tip.tracking_hash == codes.hash_code(code) and code not in tip.tracking_hash
        assert tip.routing_rule == "place_of_conduct" and "小店区" in tip.routing_reason
        assert [e.kind for e in tip.events] == ["submitted", "routed"]
        assert tip.anonymous and tip.reporter_name is None
        files = {a.original_name: a for a in tip.attachments}
        assert set(files) == {"合同.pdf", "截图.png"}
        assert files["合同.pdf"].content_type == "application/pdf"
        stored = os.path.join(app.config["UPLOAD_DIR"], files["合同.pdf"].stored_name)
        with open(stored, "rb") as f:
            assert PDF not in f.read()  # encrypted at rest (intake.crypto)
        content = storage.read_evidence(files["合同.pdf"])
        assert content == PDF and files["合同.pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
        assert "static" not in os.path.relpath(stored, app.root_path).split(os.sep)
        assert files["合同.pdf"].stored_name not in ("合同.pdf",)
    # The code is shown once only.
    again = client.get("/tips/receipt").get_data(as_text=True)
    assert code not in again and "只显示一次" in again


@pytest.mark.parametrize("name, content, mime", [
    ("a.docx", docx_bytes(), "wordprocessingml"),
    ("b.xlsx", xlsx_bytes(), "spreadsheetml"),
    ("c.odt", odt_bytes(), "opendocument.text"),
    ("d.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
])
def test_office_and_image_formats_are_recognised_by_content(app, client, name, content, mime):
    submit_ok(client, files=[(name, content)])
    with app.app_context():
        assert mime in db.session.scalar(db.select(Attachment)).content_type


def test_named_reporter_with_email_queues_a_receipt_mail(app, client):
    code, _ = submit_ok(client, form_data(identity="named", reporter_name="测试人",
                                          reporter_phone="13800000000",
                                          reporter_email="Reporter@Example.com"))
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.reporter_email == "Reporter@example.com" and not tip.anonymous
        mail = db.session.scalar(db.select(OutboxMail))
        assert mail.to == "Reporter@example.com"
        # No code at rest in clear: it is sealed, and put into the body when sent.
        assert code not in mail.body and code not in (mail.sealed_code or "")
        assert code in services.mail_body(mail)
        assert tip.reference in mail.subject


def test_anonymous_choice_drops_contact_details(app, client):
    submit_ok(client, form_data(identity="anonymous", reporter_name="不该保存",
                                reporter_email="x@example.com"))
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.reporter_name is None and tip.reporter_email is None
        assert db.session.query(OutboxMail).count() == 0


def test_registered_agency_by_name_former_name_label_or_uscc(app, client):
    with app.app_context():
        agency = make_agency(name="晋阳专利代理事务所", former_names="晋阳知识产权代理中心",
                             division_code="140105")
        db.session.commit()
        uscc = agency.uscc
    for text in ("晋阳专利代理事务所", "晋阳知识产权代理中心", uscc, uscc.lower(),
                 f"晋阳专利代理事务所（{uscc}）"):
        submit_ok(client, form_data(party_kind="agency", agency=text, province="310000",
                                    city="", district="310115"))
    with app.app_context():
        tips = list(db.session.scalars(db.select(Tip).order_by(Tip.id)))
        assert len(tips) == 5
        assert {t.agency.uscc for t in tips} == {uscc}
        assert {t.bureau.code for t in tips} == {"140105"}  # the agency's 属地, not the place
        assert tips[0].likely_duplicate_of_id is None
        assert all(t.likely_duplicate_of_id == tips[0].id for t in tips[1:])


def test_unknown_and_ambiguous_agency_names_get_clear_errors(app, client):
    with app.app_context():
        make_agency(name="同名代理所")
        make_agency(name="同名代理所")
        db.session.commit()
    html = post(client, form_data(party_kind="agency", agency="同名代理所")).get_data(as_text=True)
    assert "有多家机构" in html
    response = post(client, form_data(party_kind="agency", agency="不存在的机构"))
    assert response.status_code == 422 and "未在名录中找到" in response.get_data(as_text=True)
    assert tip_count(app) == (0, 0, 0)


def test_online_tip_with_operator_domicile(app, client):
    submit_ok(client, form_data(online="y", online_url="https://shop.example.com/x",
                                operator_division="410700", province="", city="",
                                district=""))
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.bureau.code == "410700" and tip.routing_rule == "online_domicile"
        assert tip.division_code is None and tip.online_url == "https://shop.example.com/x"


def test_place_outside_coverage_goes_to_triage(app, client):
    submit_ok(client, form_data(province="440000", city="440300", district="440305"))
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.bureau.code == "140000" and tip.cross_region


def test_no_js_cascade_step_rerenders_with_city_list(client):
    response = post(client, form_data(province="140000", city="", district="",
                                      refresh_place="1", description="保留我的输入内容123"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="140100"' in html and "保留我的输入内容123" in html
    assert "提交未成功" not in html


def test_cascade_fragment_and_agency_suggestions(app, client):
    html = client.get("/tips/places?province=310000").get_data(as_text=True)
    assert html.lstrip().startswith('<div id="place-fields"') and "浦东新区" in html
    assert "<html" not in html
    html = client.get("/tips/places?province=140000&city=140100&district=140105").get_data(
        as_text=True)
    assert 'value="140105" selected' in html
    with app.app_context():
        agency = make_agency(name="晋阳专利代理事务所", former_names="晋阳旧名中心")
        db.session.commit()
        uscc = agency.uscc
    for q in ("晋阳专利", "旧名", uscc[:8]):
        html = client.get("/tips/agencies", query_string={"agency": q}).get_data(as_text=True)
        assert f"晋阳专利代理事务所（{uscc}）" in html, q


def test_htmx_errors_return_the_form_fragment(client):
    response = post(client, form_data(description=""), headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="tip-form"') and "请描述发生了什么" in html
    ok = post(client, form_data(), headers={"HX-Request": "true"})
    assert ok.status_code == 200 and ok.headers["HX-Retarget"] == "#main"
    assert ok.headers["HX-Push-Url"] == "/tips/receipt"
    assert ok.get_data(as_text=True).lstrip().startswith("{#") is False
    assert 'id="receipt"' in ok.get_data(as_text=True) and "<html" not in ok.get_data(as_text=True)


# -- the bad-input matrix ------------------------------------------------------------

MARKUP = '<script>alert("x")</script><b onmouseover=alert(1)>粗体</b>'
BAD_CASES = {
    "missing category": (form_data(category=None), [], "请选择举报类别"),
    "missing description": (form_data(description=None), [], "请描述发生了什么"),
    "missing party": (form_data(operator_name=None), [], "请至少填写经营者名称"),
    "missing consent": (form_data(consent=None), [], "请勾选同意"),
    "missing place": (form_data(province=None, city=None, district=None), [],
                      "请选择违法行为发生的地区"),
    "named without contact": (form_data(identity="named", reporter_name="某人"), [],
                              "至少留下电话或电子邮箱"),
    "bad email": (form_data(identity="named", reporter_name="某人", reporter_email="a@@b"), [],
                  "电子邮箱地址格式不正确"),
    "bad phone": (form_data(identity="named", reporter_name="某人", reporter_phone="12345"), [],
                  "电话号码格式不正确"),
    "bad uscc": (form_data(operator_uscc="911401050000000000"), [], "统一社会信用代码无效"),
    "future date": (form_data(occurred_on="2999-01-01"), [], "不能晚于今天"),
    "description too long": (form_data(description="长" * 5001), [], "请用 10 至 5000 个字描述"),
    "name too long": (form_data(operator_name="名" * 201), [], "200"),
    "city not in province": (form_data(province="310000", city="140100", district=""), [],
                             "所选城市不属于所选省份"),
    "fake pdf": (form_data(), [("evidence.pdf", b"MZ\x90\x00 this is an exe")], "不是允许的格式"),
    "zip renamed docx": (form_data(), [("a.docx", b"PK\x03\x04" + b"\x00" * 40)], "不是允许的格式"),
    "sixth file": (form_data(), [(f"f{i}.pdf", PDF) for i in range(6)], "最多只能上传 5 个文件"),
    "one good one bad": (form_data(), [("ok.pdf", PDF), ("bad.pdf", b"GIF89a-not-really")],
                         "bad.pdf"),
    "markup everywhere with an error": (
        form_data(operator_name=MARKUP, operator_contact=MARKUP, description=MARKUP * 2,
                  online_url="javascript:alert(1)", consent=None), [], "请勾选同意"),
}


@pytest.mark.parametrize("data, files, message", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_input_is_refused_with_a_message_and_nothing_stored(app, client, data, files,
                                                                 message):
    response = post(client, data, files)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "提交未成功" in html
    assert "<script>alert" not in html  # any echoed markup is escaped
    assert tip_count(app) == (0, 0, 0)
    assert uploads(app) == []
    if files:
        assert "请重新选择要上传的文件" in html


def test_rejected_files_keep_the_rest_of_the_form(client):
    html = post(client, form_data(description="请保留这段描述文字，谢谢。"),
                [("x.pdf", b"not a pdf at all")]).get_data(as_text=True)
    assert "请保留这段描述文字，谢谢。" in html
    assert 'value="140105" selected' in html and 'value="虚假宣传"' in html


def test_file_over_10_mb_is_refused(app, client):
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = post(client, form_data(), [("big.pdf", big)])
    assert response.status_code == 422 and "超过 10 MB" in response.get_data(as_text=True)
    assert tip_count(app) == (0, 0, 0) and uploads(app) == []


def test_oversized_request_gets_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = post(client, form_data(), [("big.pdf", PDF + b"0" * (2 * 1024 * 1024))])
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)
    assert tip_count(app) == (0, 0, 0) and uploads(app) == []


def test_honeypot_stores_nothing(app, client):
    response = post(client, form_data(website="http://spam.example"), [("a.pdf", PDF)])
    assert response.status_code == 400 and "提交未被接受" in response.get_data(as_text=True)
    assert tip_count(app) == (0, 0, 0) and uploads(app) == []


def test_markup_is_stored_as_text_and_shown_escaped(app, client):
    _code, html = submit_ok(client, form_data(operator_name=MARKUP, operator_contact=MARKUP,
                                             description=MARKUP * 2,
                                             online_url="https://example.com/?q=<b>"),
                           [("<img src=x onerror=alert(1)>.pdf", PDF)])
    assert "<script>" not in html and "<img src=x" not in html
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.operator_name == MARKUP and tip.description == MARKUP * 2
        assert tip.attachments[0].original_name == "img src=x onerror=alert(1).pdf"


def test_commit_failure_removes_written_files(app, client, monkeypatch):
    real_commit = db.session.commit
    calls = {"n": 0}

    def failing_commit():
        calls["n"] += 1
        db.session.flush()
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = post(client, form_data(), [("a.pdf", PDF), ("b.png", PNG)])
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert calls["n"] == 1
    assert response.status_code == 503 and "没有保存" in response.get_data(as_text=True)
    assert uploads(app) == []
    assert tip_count(app) == (0, 0, 0)


def test_fifty_concurrent_submissions_are_all_stored_with_distinct_codes(app):
    def one(i):
        client = app.test_client()
        response = post(client, form_data(description=f"并发提交的第 {i} 件举报，内容足够长。"),
                        [(f"e{i}.pdf", PDF)])
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:500]
        return CODE_RE.search(html).group(1)

    with ThreadPoolExecutor(max_workers=10) as pool:
        found = list(pool.map(one, range(50)))
    assert len(set(found)) == 50
    with app.app_context():
        tips = list(db.session.scalars(db.select(Tip)))
        assert len(tips) == 50
        assert {t.tracking_hash for t in tips} == {codes.hash_code(c) for c in found}
        assert len({t.reference for t in tips}) == 50
        assert db.session.query(Attachment).count() == 50
        assert db.session.query(TipEvent).count() == 100
    assert len(uploads(app)) == 50


def test_savepoint_rollback_keeps_files_of_the_outer_transaction(app):
    from intake import storage

    with app.app_context():
        checked = [storage.CheckedFile("a.pdf", PDF, "pdf", "application/pdf")]
        storage.store(checked, db.session)
        nested = db.session.begin_nested()
        nested.rollback()
        assert len(uploads(app)) == 1
        db.session.rollback()
        assert uploads(app) == []
        storage.store(checked, db.session)
        db.session.commit()
        db.session.rollback()
        assert len(uploads(app)) == 1
