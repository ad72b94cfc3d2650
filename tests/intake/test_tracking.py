"""The public tracking page: code look-up, timeline, replies; never internal notes or identity."""

import io
import re

from bs4 import BeautifulSoup

from intake import codes, receipts, services, workflow
from intake.models import Attachment, Tip
from portal.auth.models import StaffUser
from portal.extensions import db
from tests.factories.intake import PDF
from tests.factories.staff import make_staff

CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="([^"]+)"')


def file_tip(client, **extra):
    data = {
        "category": "虚假宣传", "party_kind": "operator", "operator_name": "演示工作室",
        "province": "140000", "city": "140100", "district": "140105",
        "description": "对方虚假宣传，承诺包授权。", "identity": "named",
        "reporter_name": "实名举报人甲", "reporter_phone": "13912345678",
        "reporter_email": "jia@example.com", "consent": "y",
        "submission_key": receipts.new_key(),
    }
    data.update(extra)
    response = client.post("/tips/new", data=data)
    assert response.status_code == 200
    return CODE_RE.search(response.get_data(as_text=True)).group(1)


def track(client, code):
    return client.post("/tips/track", data={"code": code})


def test_code_lookup_shows_public_timeline_only(app, client):
    code = file_tip(client)
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        staff = make_staff("140105", "staff")
        admin = make_staff("140000", "admin")
        workflow.accept(tip, staff)
        workflow.add_note(tip, staff, "内部备注：疑似与另案相关 SECRET-NOTE")
        workflow.supervise(tip, admin, "督办意见 SECRET-SUPERVISION")
        workflow.request_info(tip, staff, "请提供付款凭证<script>x()</script>")
        db.session.commit()
    response = track(client, code.lower().replace("-", " "))
    assert response.status_code == 303 and response.headers["Location"] == "/tips/track"
    assert code not in response.headers["Location"]
    html = client.get("/tips/track").get_data(as_text=True)
    assert "等待举报人补充材料" in html
    text = BeautifulSoup(html, "html.parser").get_text()  # names are marked lang="zh"
    assert "我们已收到您的举报" in text and "太原市小店区市场监督管理局已受理" in text
    assert "请提供付款凭证&lt;script&gt;x()&lt;/script&gt;" in html
    for secret in ("SECRET-NOTE", "SECRET-SUPERVISION", "实名举报人甲", "13912345678",
                   "jia@example.com", "对方虚假宣传", "违法行为发生地在"):
        assert secret not in html, secret
    assert 'action="/tips/track/reply"' in html


def test_wrong_unknown_and_malformed_codes_get_the_same_answer(app, client):
    code = file_tip(client)
    wrong = codes.new_code()
    answers = []
    altered = code[:-1] + ("0" if code[-1] != "0" else "1")
    for attempt in (wrong, "ABCD", "", "' OR 1=1 --", altered):
        response = track(client, attempt)
        html = response.get_data(as_text=True)
        answers.append((response.status_code,
                        "没有找到与该查询码对应的举报" in html or "请输入查询码" in html))
        assert "举报 JB-" not in html
    assert all(a == (422, True) for a in answers)
    with client.session_transaction() as s:
        assert "intake_track" not in s


def test_find_by_code_takes_the_same_path_for_unknown_codes(app_ctx, monkeypatch):
    calls = []
    real = codes.hashes_equal
    monkeypatch.setattr(codes, "hashes_equal", lambda a, b: calls.append((a, b)) or real(a, b))
    assert services.find_by_code("not a code") is None
    assert services.find_by_code(codes.new_code()) is None
    assert len(calls) == 2  # a constant-time comparison even when nothing was found


def test_reporter_replies_with_files(app, client):
    code = file_tip(client)
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        staff = make_staff("140105", "staff")
        workflow.accept(tip, staff)
        workflow.request_info(tip, staff, "请补充付款记录。")
        db.session.commit()
    track(client, code)
    bad = client.post("/tips/track/reply", data={"text": "见附件", "evidence": [
        (io.BytesIO(b"not a pdf"), "x.pdf")]}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "不是允许的格式" in bad.get_data(as_text=True)
    empty = client.post("/tips/track/reply", data={"text": ""})
    assert empty.status_code == 422 and "请填写补充说明或上传文件" in empty.get_data(as_text=True)
    ok = client.post("/tips/track/reply", data={"text": "付款记录见附件", "evidence": [
        (io.BytesIO(PDF), "付款.pdf")]}, content_type="multipart/form-data")
    assert ok.status_code == 303
    html = client.get("/tips/track").get_data(as_text=True)
    assert "已受理，正在核查" in html and "您已补充材料" in html
    assert 'action="/tips/track/reply"' in html  # the reporter may write at any time (#13)
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.status == "accepted"
        reply = tip.events[-1]
        assert reply.kind == "reporter_replied" and reply.internal_text == "付款记录见附件"
        attachment = db.session.scalar(db.select(Attachment))
        assert attachment.event_id == reply.id and attachment.original_name == "付款.pdf"
    # Not awaiting information any more: the reporter writes unasked (intake.messages).
    again = client.post("/tips/track/reply", data={"text": "再补充"}, follow_redirects=True)
    assert "已收到您补充的材料" in again.get_data(as_text=True)
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.status == "accepted" and tip.events[-1].kind == "reporter_message"


def test_conclusion_reaches_the_tracking_page(app, client):
    code = file_tip(client)
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        staff, lead = make_staff("140105", "staff"), make_staff("140105", "lead")
        lead_id = lead.id
        workflow.accept(tip, staff)
        workflow.conclude(tip, staff, "substantiated", "经核查属实，已立案调查。")
        db.session.commit()
    track(client, code)
    html = client.get("/tips/track").get_data(as_text=True)
    assert "核查完毕，等待审核" in html and "已立案调查" not in html
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        workflow.approve_conclusion(tip, db.session.get(StaffUser, lead_id))
        db.session.commit()
    html = client.get("/tips/track").get_data(as_text=True)
    assert "已办结" in html and "经核查属实，已立案调查。" in html and "举报属实" in html


def test_tracking_session_ends(app, client):
    code = file_tip(client)
    track(client, code)
    assert "举报 JB-" in client.get("/tips/track").get_data(as_text=True)
    client.post("/tips/track/leave")
    assert "举报 JB-" not in client.get("/tips/track").get_data(as_text=True)
    track(client, code)
    with client.session_transaction() as s:
        s["intake_track"]["exp"] = 0
        s.modified = True
    assert "举报 JB-" not in client.get("/tips/track").get_data(as_text=True)
