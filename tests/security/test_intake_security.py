"""Issue 12, the intake's findings: (3) evidence names, (4) the duplicates box, (7) the
tracking code at rest (the outbox) and the receipt state (not in the session cookie)."""

from __future__ import annotations

import io
import os
import re
from typing import ClassVar

from intake import services, storage
from intake.models import Attachment, OutboxMail, Tip
from portal.extensions import db
from tests.factories.intake import PDF, docx_bytes, form_data, make_tip
from tests.factories.staff import login, make_staff

CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="([^"]+)"')


def file_tip(client, files=(), **fields):
    data = form_data(**fields)
    if files:
        data["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    response = client.post("/tips/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response


# -- (3) evidence keeps the uploader's extension ----------------------------------------------

def test_polyglot_evidence_is_stored_with_the_detected_extension_not_the_uploaders(app, client):
    file_tip(client, [("report.hta", PDF), ("evidence.jar", docx_bytes()),
                      ("evidence.html", PDF)])
    with app.app_context():
        files = {a.original_name: a for a in db.session.scalars(db.select(Attachment))}
        assert set(files) == {"report.hta", "evidence.jar", "evidence.html"}  # kept as data
        assert files["report.hta"].stored_name.endswith(".pdf")
        assert files["evidence.jar"].stored_name.endswith(".docx")
        assert files["report.hta"].download_name == "report.pdf"
        assert files["evidence.jar"].download_name == "evidence.docx"
        assert files["evidence.html"].download_name == "evidence.pdf"
        on_disk = os.listdir(app.config["UPLOAD_DIR"])
    assert sorted(name.rsplit(".", 1)[1] for name in on_disk) == ["docx", "pdf", "pdf"]


def _staff_of_tip(app):
    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        user = make_staff(tip.bureau.code, "staff")
        return user.email, tip.reference, [a.id for a in tip.attachments]


def test_evidence_is_downloaded_with_the_detected_extension_and_a_safe_disposition(app, client):
    file_tip(client, [("report.hta", PDF)])
    email, reference, (attachment_id,) = _staff_of_tip(app)
    login(client, email)
    page = client.get(f"/staff/tips/{reference}").get_data(as_text=True)
    assert "report.hta" in page and "report.pdf" in page  # the original name shown, as data
    response = client.get(f"/staff/tips/{reference}/files/{attachment_id}")
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "report.pdf" in disposition
    assert ".hta" not in disposition
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # A name with quotes, CR/LF or a path cannot break out of the header.
    with app.app_context():
        db.session.get(Attachment, attachment_id).original_name = '../a"b\r\nX-Evil: 1;c.hta'
        db.session.commit()
    disposition = client.get(
        f"/staff/tips/{reference}/files/{attachment_id}").headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
    assert disposition.endswith('.pdf"') or disposition.endswith(".pdf")


def test_send_evidence_quotes_non_ascii_names_per_rfc_5987(app, client):
    file_tip(client, [("合同 (最终版).exe", PDF)])
    with app.app_context(), app.test_request_context():
        attachment = db.session.scalar(db.select(Attachment))
        response = storage.send_evidence(attachment)
        disposition = response.headers["Content-Disposition"]
        response.close()
    assert "filename*=UTF-8''" in disposition
    assert "%E5%90%88%E5%90%8C" in disposition and disposition.endswith(".pdf")
    assert ".exe" not in disposition


# -- (4) the duplicates box shows only what the viewer may open -------------------------------

def test_duplicates_box_lists_only_tips_the_viewer_may_open(app, client):
    with app.app_context():
        taiyuan = make_tip(with_file=False, anonymous=True, operator_name="同一个无证工作室",
                           division_code="140121").tip
        datong = make_tip(with_file=False, anonymous=True, operator_name="同一个无证工作室",
                          division_code="140200").tip
        assert taiyuan.bureau.code == "140100" and datong.bureau.code == "140200"
        assert datong.likely_duplicate_of == taiyuan  # flagged, across bureaus
        viewer = make_staff("140200", "staff")
        province = make_staff("140000", "admin")
        refs = (taiyuan.reference, datong.reference)
        emails = (viewer.email, province.email)
    login(client, emails[0])
    html = client.get(f"/staff/tips/{refs[1]}").get_data(as_text=True)
    box = html.split('id="h-dup"', 1)[1].split("</section>", 1)[0]
    assert refs[0] not in box and "同一个无证工作室" not in box and "未发现" in box
    # The provincial administrator may open both: the box lists the Taiyuan tip and why.
    other = app.test_client()
    login(other, emails[1])
    html = other.get(f"/staff/tips/{refs[1]}").get_data(as_text=True)
    box = html.split('id="h-dup"', 1)[1].split("</section>", 1)[0]
    assert refs[0] in box and "经营者名称相同" in box


# -- (7) no tracking code at rest in clear; the receipt state is not in the cookie -------------

class FakeSMTP:
    sent: ClassVar[list] = []

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_outbox_holds_no_tracking_code_in_clear_and_the_mail_carries_it(app, client, runner,
                                                                          monkeypatch):
    response = file_tip(client, identity="named", reporter_name="甲",
                        reporter_email="jia@example.com")
    code = CODE_RE.search(response.get_data(as_text=True)).group(1)
    bare = code.replace("-", "")
    with app.app_context():
        mail = db.session.scalar(db.select(OutboxMail))
        at_rest = " ".join(str(v) for v in (mail.to, mail.subject, mail.body, mail.sealed_code))
        assert code not in at_rest and bare not in at_rest and mail.sealed_code
    monkeypatch.setattr(services.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    app.config["SMTP_HOST"] = "smtp.example.invalid"
    assert runner.invoke(args=["mail", "send"]).exit_code == 0
    assert code in FakeSMTP.sent[0].get_content()  # built at send time
    with app.app_context():
        mail = db.session.scalar(db.select(OutboxMail))
        assert mail.sealed_code is None and code not in mail.body


def test_receipt_state_is_not_in_the_session_cookie_and_a_replayed_cookie_shows_no_code(app):
    client = app.test_client()
    client.get("/tips/new")
    response = file_tip(client)
    code = CODE_RE.search(response.get_data(as_text=True)).group(1)
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is not None:
        assert code not in str(serializer.loads(cookie.value))
        assert code.replace("-", "") not in str(serializer.loads(cookie.value))
    for _ in range(2):  # the old receipt URL, with the same cookie: never the code
        html = client.get("/tips/receipt").get_data(as_text=True)
        assert code not in html and "只显示一次" in html
    replayed = app.test_client()
    if cookie is not None:
        replayed.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    assert code not in replayed.get("/tips/receipt").get_data(as_text=True)
