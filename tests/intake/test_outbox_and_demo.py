from collections import Counter
from typing import ClassVar

from intake import codes, services
from intake.demo import build_demo_tips, demo_code
from intake.models import OutboxMail, Tip, TipEvent
from portal.extensions import db


class FakeSMTP:
    sent: ClassVar[list] = []
    fail = False

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        if FakeSMTP.fail:
            raise ConnectionRefusedError("connection refused")
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_mail_send_drains_outbox_and_keeps_failures(app, runner, monkeypatch):
    monkeypatch.setattr(services.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail = [], True
    app.config["SMTP_HOST"] = "smtp.example.invalid"
    with app.app_context():
        db.session.add(OutboxMail(to="a@example.com", subject="回执", body="查询码 X"))
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "failed: 1" in result.output
    with app.app_context():
        mail = db.session.scalar(db.select(OutboxMail))
        assert mail.sent_at is None and mail.attempts == 1
        assert "connection refused" in mail.last_error and mail.body == "查询码 X"
        assert mail.next_attempt_at > mail.created_at and mail.dead_at is None  # retried later
        mail.next_attempt_at = mail.created_at  # the retry is due
        db.session.commit()
    FakeSMTP.fail = False
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "sent: 1" in result.output
    assert FakeSMTP.sent[0]["To"] == "a@example.com"
    assert "查询码 X" in FakeSMTP.sent[0].get_content()
    with app.app_context():
        mail = db.session.scalar(db.select(OutboxMail))
        assert mail.sent_at is not None and mail.attempts == 2 and mail.last_error is None
        assert mail.body == services.REDACTED_BODY


def test_mail_send_without_smtp_host_records_the_error(app, runner):
    app.config["SMTP_HOST"] = None
    with app.app_context():
        db.session.add(OutboxMail(to="a@example.com", subject="s", body="b"))
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    with app.app_context():
        assert "SMTP_HOST" in db.session.scalar(db.select(OutboxMail)).last_error


def test_demo_tips_are_deterministic_and_use_the_workflow(app, runner):
    result = runner.invoke(args=["tips", "demo", "--count", "40", "--seed", "7"])
    assert result.exit_code == 0 and "tips: 40" in result.output
    with app.app_context():
        tips = list(db.session.scalars(db.select(Tip).order_by(Tip.id)))
        assert len(tips) == 40
        statuses = Counter(t.status for t in tips)
        assert {"received", "accepted", "concluded"} <= set(statuses)
        assert all(t.events[0].kind == "submitted" for t in tips)
        assert all(t.events[-1].status_after == t.status for t in tips)
        assert db.session.query(TipEvent).filter(TipEvent.kind == "transferred").count() >= 1
        assert tips[0].tracking_hash == codes.hash_code(demo_code(7, 0))
        assert services.find_by_code(demo_code(7, 3)).id == tips[3].id
        signature = [(t.category, t.status, t.bureau.code) for t in tips]
        names = {t.reporter_name for t in tips if t.reporter_name}
        assert all(n.startswith("演示举报人") for n in names)
    # Same seed, fresh database: same tips.
    with app.app_context():
        for t in reversed(tips):
            db.session.delete(db.session.get(Tip, t.id))
        db.session.commit()
        assert build_demo_tips(count=40, seed=7) == 40
        again = [(t.category, t.status, t.bureau.code)
                 for t in db.session.scalars(db.select(Tip).order_by(Tip.id))]
        assert again == signature
