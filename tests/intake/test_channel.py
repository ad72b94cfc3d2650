"""The reporter's channel (#13): notifications, messages at any time, the outcome block,
metadata removal, encryption at rest and key rotation, retention, the access audit."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import pytest
import sqlalchemy as sa
from PIL import Image

from intake import crypto, messages, metadata, notifications, services, storage, workflow
from intake.models import AccessAudit, Attachment, OutboxMail, Tip, TipEvent
from intake.storage import CheckedFile
from portal.extensions import db
from tests.factories.intake import PDF, docx_bytes, make_tip
from tests.factories.staff import PASSWORD, login, make_staff
from tests.intake.test_tracking import file_tip, track

SECRET_WORDS = ("对方虚假宣传", "请提供付款凭证", "JB-", "演示工作室", "市场监督管理局", "答复内容")


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        if FakeSMTP.fail:
            raise ConnectionRefusedError("connection refused")
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setattr(services.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail = [], False
    app.config["SMTP_HOST"] = "smtp.example.invalid"
    return FakeSMTP


def gps_jpeg() -> bytes:
    """A JPEG as a phone makes it: EXIF with the device and a GPS position."""
    image = Image.new("RGB", (32, 24), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone Inc."  # Make
    exif[0x0110] = "DemoPhone 15"  # Model
    exif[0x013B] = "Owner Zhang"  # Artist
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (37.0, 52.0, 12.5), 3: "E", 4: (112.0, 33.0, 7.25)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def _mails():
    return list(db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind == "notification")
                                   .order_by(OutboxMail.id)))


# -- 1. notifications ----------------------------------------------------------------

def test_notifications_queued_once_per_event_without_content(app, client, smtp):
    code = file_tip(client)  # named, jia@example.com
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        staff = make_staff("140105", "staff")
        lead = make_staff("140105", "lead")
        workflow.accept(tip, staff)
        workflow.add_note(tip, staff, "内部备注")  # not news for the reporter
        db.session.commit()
        assert _mails() == []
        messages.ask_reporter(tip, staff, "请提供付款凭证", due_days="5")
        db.session.commit()
        assert len(_mails()) == 1
        messages.reporter_message(tip, "付款记录", [])
        messages.staff_message(tip, staff, "答复内容：已收到")
        workflow.conclude(tip, lead, "substantiated", "答复内容：已立案")
        db.session.commit()
        mails = _mails()
        kinds = [m.event.kind for m in mails]
        assert kinds == ["info_requested", "staff_message", "concluded"]
        assert len({m.event_id for m in mails}) == 3  # exactly once per event
        for mail in mails:
            assert mail.to == "" and "jia@example.com" not in mail.body
            text = mail.subject + mail.body
            assert "/tips/track" in text and code not in text
            for word in SECRET_WORDS:
                assert word not in text, word
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    notes = [m for m in smtp.sent if "新进展" in m["Subject"]]
    assert len(notes) == 3 and {m["To"] for m in notes} == {"jia@example.com"}
    with app.app_context():
        assert all(m.sent_at and m.to == "" for m in _mails())


def test_transfer_notifies_and_turning_off_stops_it(app, client, smtp):
    track(client, file_tip(client))
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        staff = make_staff("140105", "staff")
        other = db.session.scalar(sa.select(workflow.Bureau).where(workflow.Bureau.code == "140100"))
        workflow.transfer(tip, staff, other, "属地管辖")
        db.session.commit()
        assert [m.event.kind for m in _mails()] == ["transferred"]
    # The reporter turns notifications off on the tracking page: the queued mail is dropped.
    response = client.post("/tips/track/notifications", data={"choice": "off"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Tip)).notifications_off
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0
    assert not [m for m in smtp.sent if "新进展" in m["Subject"]]
    with app.app_context():
        assert _mails()[0].dead_at is not None and _mails()[0].sent_at is None


def test_anonymous_notification_address_is_apart_encrypted_and_hidden(app, client, smtp):
    code = file_tip(client, identity="anonymous", reporter_name="", reporter_phone="",
                    reporter_email="")
    track(client, code)
    response = client.post("/tips/track/notifications",
                           data={"email": "Notify.Only@example.com", "choice": "on"})
    assert response.status_code == 303
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        assert tip.notify_address.email == "Notify.Only@example.com"
        raw = db.session.execute(sa.text("SELECT email FROM tip_notify_address")).scalar()
        assert b"Notify.Only" not in bytes(raw) and crypto.is_sealed(bytes(raw))
        staff = make_staff("140105", "staff", email="s@example.org")
        workflow.accept(tip, staff)
        messages.ask_reporter(tip, staff, "请提供付款凭证")
        db.session.commit()
    client_staff = app.test_client()
    login(client_staff, "s@example.org")
    html = client_staff.get(f"/staff/tips/{tip_ref(app)}").get_data(as_text=True)
    assert "Notify.Only" not in html
    app.test_cli_runner().invoke(args=["mail", "send"])
    assert [m["To"] for m in smtp.sent] == ["Notify.Only@example.com"]


def tip_ref(app):
    with app.app_context():
        return db.session.scalar(sa.select(Tip.reference))


def test_failing_mail_is_retried_later_then_dead(app, client, smtp):
    file_tip(client)
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp.fail = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["mail", "send"]).exit_code == 1  # the receipt fails
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.attempts == 1 and mail.next_attempt_at > mail.created_at
        assert mail.dead_at is None
    assert "sent: 0; failed: 0" in runner.invoke(args=["mail", "send"]).output  # not yet due
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        mail.next_attempt_at = mail.created_at
        db.session.commit()
    runner.invoke(args=["mail", "send"])
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.attempts == 2 and mail.dead_at is not None and mail.sent_at is None


# -- 2. messages at any time -------------------------------------------------------

def test_reporter_writes_unasked_and_staff_see_it_unread(app, client):
    code = file_tip(client)
    with app.app_context():
        make_staff("140105", "staff", email="s@example.org")
    track(client, code)
    html = client.get("/tips/track").get_data(as_text=True)
    assert 'action="/tips/track/reply"' in html  # open: the reporter may write
    response = client.post("/tips/track/reply", data={
        "text": "我又想起一个细节：对方还有一个微信号。",
        "evidence": [(io.BytesIO(PDF), "聊天记录.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        assert tip.status == "received" and tip.reporter_message_unread
        assert tip.events[-1].kind == "reporter_message"
        assert tip.attachments[0].event_id == tip.events[-1].id
    html = client.get("/tips/track").get_data(as_text=True)
    assert "我又想起一个细节" in html and "聊天记录.pdf" in html  # the reporter's own words
    staff_client = app.test_client()
    login(staff_client, "s@example.org", PASSWORD)
    queue = staff_client.get("/staff/").get_data(as_text=True)
    assert tip_ref(app) in queue and "新留言" in queue
    page = staff_client.get(f"/staff/tips/{tip_ref(app)}").get_data(as_text=True)
    assert "举报人有新消息" in page and "我又想起一个细节" in page
    with app.app_context():  # opened by the handling bureau: read
        assert not db.session.scalar(sa.select(Tip)).reporter_message_unread
    # The bureau replies; the reporter sees both sides in order.
    staff_client.post(f"/staff/tips/{tip_ref(app)}/message", data={"message": "已收到，谢谢。"})
    html = client.get("/tips/track").get_data(as_text=True)
    assert html.index("我又想起一个细节") < html.index("已收到，谢谢。")


def test_question_due_date_on_tracking_page_and_closed_tip_refuses(app, client):
    code = file_tip(client)
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        staff = make_staff("140105", "staff")
        make_staff("140105", "lead", email="lead@example.org")
        workflow.accept(tip, staff)
        messages.ask_reporter(tip, staff, "请提供付款凭证", due_days=5)
        db.session.commit()
        due = tip.info_due
        assert due is not None
        with pytest.raises(workflow.TransitionError):
            messages.ask_reporter(tip, staff, "x", due_days="99")
        db.session.rollback()
    track(client, code)
    html = client.get("/tips/track").get_data(as_text=True)
    assert 'id="tip-info-due"' in html and due.isoformat() in html
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        from portal.auth.models import StaffUser

        lead = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "lead@example.org"))
        messages.reporter_message(tip, "付款凭证见附件")
        workflow.conclude(tip, lead, "substantiated", "经查属实，已立案。")
        db.session.commit()
    html = client.get("/tips/track").get_data(as_text=True)
    assert 'action="/tips/track/reply"' not in html
    refused = client.post("/tips/track/reply", data={"text": "再补充"}, follow_redirects=True)
    assert "举报已办结" in refused.get_data(as_text=True)


# -- 3. the outcome block ----------------------------------------------------------------

def test_outcome_block_at_the_top_with_editable_what_next(app, client):
    code = file_tip(client)
    with app.app_context():
        tip = db.session.scalar(sa.select(Tip))
        lead = make_staff("140105", "lead")
        admin = make_staff("140000", "admin", email="admin@example.org")
        workflow.accept(tip, lead)
        workflow.conclude(tip, lead, "substantiated", "经查属实，已立案。")
        db.session.commit()
        assert admin.id
    track(client, code)
    html = client.get("/tips/track").get_data(as_text=True)
    block = html[html.index('id="tip-outcome"'):html.index('id="tip-status-text"')]
    assert "举报属实" in block and "经查属实，已立案。" in block and "12315" in block
    admin_client = app.test_client()
    login(admin_client, "admin@example.org")
    saved = admin_client.post("/staff/admin/tip-texts",
                              data={"text_zh": "如有异议请致电 0351-1234567。", "text_en": ""})
    assert saved.status_code == 302
    html = client.get("/tips/track").get_data(as_text=True)
    assert "如有异议请致电 0351-1234567。" in html


# -- 4. metadata removal -----------------------------------------------------------

def test_jpeg_gps_exif_removed_both_hashes_recorded(app_ctx):
    import hashlib

    original = gps_jpeg()
    with Image.open(io.BytesIO(original)) as check:  # the test file really has GPS
        assert check.getexif().get_ifd(0x8825)
    tip = make_tip(with_file=False).tip
    services.reply_as_reporter(tip, "现场照片", [CheckedFile("IMG_0001.jpg", original, "jpg",
                                                             "image/jpeg")])
    db.session.commit()
    att = tip.attachments[0]
    stored = storage.read_evidence(att)
    with Image.open(io.BytesIO(stored)) as image:
        exif = image.getexif()
        assert not exif.get_ifd(0x8825) and 0x8825 not in exif
        assert exif.get(0x010F) is None and exif.get(0x013B) is None
        assert image.size == (32, 24)
    assert b"DemoPhone" not in stored and b"Owner Zhang" not in stored
    assert att.received_sha256 == hashlib.sha256(original).hexdigest()
    assert att.sha256 == hashlib.sha256(stored).hexdigest() != att.received_sha256
    assert att.clean_status == "cleaned" and {"EXIF", "GPS", "device"} <= set(att.metadata_removed)


def test_pdf_and_office_metadata_removed_unknown_flagged():
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Zhang San"
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = ["Zhang San"]
    buf = io.BytesIO()
    pdf.save(buf)
    cleaned = metadata.clean(buf.getvalue(), "pdf")
    assert cleaned.status == "cleaned" and b"Zhang San" not in cleaned.data
    with pikepdf.open(io.BytesIO(cleaned.data)) as back:
        assert "/Metadata" not in back.Root and not back.docinfo.keys()

    src = io.BytesIO()
    with zipfile.ZipFile(docx_bytes_with_author(), "r") as z, zipfile.ZipFile(src, "w") as out:
        for info in z.infolist():
            out.writestr(info, z.read(info.filename))
    cleaned = metadata.clean(src.getvalue(), "docx")
    assert cleaned.status == "cleaned" and b"Zhang San" not in cleaned.data
    assert b"Big Company" not in cleaned.data
    # A legacy OLE file cannot be cleaned here: stored as received, flagged.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    flagged = metadata.clean(ole, "doc")
    assert flagged.status == "not_cleaned" and flagged.data == ole


def docx_bytes_with_author() -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as z, zipfile.ZipFile(buf, "w") as out:
        for info in z.infolist():
            out.writestr(info, z.read(info.filename))
        out.writestr("docProps/core.xml", '<cp:coreProperties xmlns:cp="x" xmlns:dc="y">'
                     "<dc:creator>Zhang San</dc:creator></cp:coreProperties>")
        out.writestr("docProps/app.xml", "<Properties><Company>Big Company</Company></Properties>")
    buf.seek(0)
    return buf


# -- 5. encryption at rest and rotation --------------------------------------------

def _raw_tip_row():
    row = db.session.execute(sa.text(
        "SELECT reporter_name, reporter_phone, reporter_email FROM tip")).one()
    return [bytes(v) if not isinstance(v, str) else v.encode() for v in row]


def test_identity_and_files_unreadable_without_the_key(app_ctx):
    tip = make_tip(reporter_email="zhang@example.com").tip
    raw = _raw_tip_row()
    for value, plain in zip(raw, ("举报人甲", "13800000000", "zhang@example.com"), strict=True):
        assert plain.encode() not in value and crypto.is_sealed(value)
    with open(storage.path_for(tip.attachments[0].stored_name), "rb") as f:
        on_disk = f.read()
    assert PDF not in on_disk and b"%PDF" not in on_disk
    assert crypto.blob_key_id(on_disk) == tip.attachments[0].key_id == crypto.keyring().current
    db.session.expire_all()
    assert db.session.get(Tip, tip.id).reporter_phone == "13800000000"  # with the key


def test_rotation_keeps_everything_readable(app, app_ctx, runner):
    old_key, new_key = crypto.new_key(), crypto.new_key()
    app.config["DATA_KEY"] = old_key
    tip = make_tip(reporter_email="zhang@example.com").tip
    old_id = crypto.keyring().current
    app.config["DATA_KEY"] = f"{new_key},{old_key}"  # new first: seals; old: still opens
    result = runner.invoke(args=["keys", "rotate", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 tip(s), 0 address(es), 1 file(s)" in result.output
    app.config["DATA_KEY"] = new_key  # the old key is gone now
    db.session.expire_all()
    new_id = crypto.keyring().current
    assert new_id != old_id
    assert all(crypto.blob_key_id(v) == new_id for v in _raw_tip_row())
    tip = db.session.get(Tip, tip.id)
    assert tip.reporter_email == "zhang@example.com" and tip.attachments[0].key_id == new_id
    assert storage.read_evidence(tip.attachments[0]) == PDF
    again = runner.invoke(args=["keys", "rotate"])
    assert "re-encrypted 0 tip(s), 0 address(es), 0 file(s)" in again.output


def test_production_refuses_to_start_without_a_data_key(tmp_path):
    from portal import create_app
    from portal.security import InsecureConfigError

    with pytest.raises(InsecureConfigError, match="PORTAL_DATA_KEY"):
        create_app({"PORTAL_ENV": "production", "SECRET_KEY": "x" * 40,
                    "INSTANCE_PATH": str(tmp_path)})


# -- 6. retention ---------------------------------------------------------------------

def test_purge_removes_files_and_identity_and_keeps_the_timeline(app, app_ctx, runner):
    old = make_tip(reporter_email="zhang@example.com").tip
    recent = make_tip().tip
    lead = make_staff("140100", "lead")
    with workflow.at(dt.datetime(2020, 3, 1, 8, 0)):
        workflow.accept(old, lead)
        workflow.conclude(old, lead, "not_substantiated", "经查不属实。")
    workflow.accept(recent, lead)
    workflow.conclude(recent, lead, "not_substantiated", "经查不属实。")
    db.session.commit()
    path = storage.path_for(old.attachments[0].stored_name)
    kinds_before = [e.kind for e in old.events]
    dry = runner.invoke(args=["tips", "purge", "--dry-run"])
    assert dry.exit_code == 0 and f"would purge {old.reference}" in dry.output
    assert recent.reference not in dry.output and os.path.exists(path)
    done = runner.invoke(args=["tips", "purge"])
    assert done.exit_code == 0 and f"purged {old.reference}: 1 file(s)" in done.output
    db.session.expire_all()
    old = db.session.get(Tip, old.id)
    assert not os.path.exists(path) and old.attachments[0].purged_at is not None
    assert old.reporter_name is None and old.reporter_email is None and old.purged_at
    assert [e.kind for e in old.events] == [*kinds_before, "purged"]
    assert old.description and old.outcome == "not_substantiated"
    recent = db.session.get(Tip, recent.id)
    assert recent.reporter_name == "举报人甲" and recent.purged_at is None


# -- 7. the access audit ---------------------------------------------------------------

def test_downloads_and_identity_views_are_audited(app):
    with app.app_context():
        tip = make_tip().tip
        make_staff("140100", "staff", email="staff@example.org")
        make_staff("140100", "lead", email="lead@example.org")
        make_staff("140200", "lead", email="otherlead@example.org")
        ref, att = tip.reference, tip.attachments[0].id
    staff = app.test_client()
    login(staff, "staff@example.org")
    download = staff.get(f"/staff/tips/{ref}/files/{att}")
    assert download.status_code == 200 and download.get_data() == PDF
    assert staff.get(f"/staff/tips/{ref}/reporter").status_code == 200
    with app.app_context():
        entries = list(db.session.scalars(sa.select(AccessAudit).order_by(AccessAudit.id)))
        assert [(e.what, e.actor.email) for e in entries] == [
            ("download", "staff@example.org"), ("identity", "staff@example.org")]
        entries[0].what = "changed"
        with pytest.raises(Exception, match="never changed"):
            db.session.flush()
        db.session.rollback()
    assert staff.get("/staff/audit").status_code == 403  # staff do not read the audit
    lead = app.test_client()
    login(lead, "lead@example.org")
    html = lead.get("/staff/audit?bureau=140100").get_data(as_text=True)
    assert "下载证据文件" in html and "合同.pdf" in html and "查看举报人身份" in html
    assert ref in html and "staff@example.org" in html
    other = app.test_client()
    login(other, "otherlead@example.org")
    assert other.get("/staff/audit?bureau=140100").status_code == 403


def test_event_kinds_of_the_channel_have_reporter_wording(app):
    from intake import event_text

    for kind in ("reporter_message", "staff_message", "purged"):
        assert kind in event_text.PUBLIC_TEXTS
    assert {"info_requested", "transferred", "concluded"} <= notifications.NOTIFY_KINDS
    assert TipEvent and Attachment
