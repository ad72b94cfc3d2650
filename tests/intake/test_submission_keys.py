"""One tap files one tip: the submission key, the receipt shown again on a retry, the sealed
code and its window, the limit that counts only filed tips, the form that survives an
expired token or a failed commit, and the party matching of likely duplicates."""

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bs4 import BeautifulSoup
from sqlalchemy.exc import OperationalError

from intake import queries, receipts, workflow
from intake.models import Attachment, Tip, TipSubmission
from portal.extensions import db
from tests.factories.intake import PDF, PNG, form_data, make_tip
from tests.factories.staff import login, make_staff

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="([^"]+)"')
ALREADY = "这份举报已经提交过，查询码在首次提交时显示"


def post(client, data, files=(), **kw):
    payload = dict(data)
    if files:
        payload["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/tips/new", data=payload, content_type="multipart/form-data", **kw)


def rendered_form(client) -> dict:
    """The hidden fields of the form as the server rendered it (csrf token, key)."""
    doc = BeautifulSoup(client.get("/tips/new").get_data(as_text=True), "html.parser")
    return {i["name"]: i.get("value", "") for i in doc.select("#tip-form input[type=hidden]")}


def code_of(response):
    found = CODE_RE.search(response.get_data(as_text=True))
    return found.group(1) if found else None


def counts(app):
    with app.app_context():
        return (db.session.query(Tip).count(), db.session.query(Attachment).count())


def upload_files(app):
    path = app.config["UPLOAD_DIR"]
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


# -- defect 1: a double tap (the same rendered form POSTed twice) files two tips ----------

def test_double_tap_prevented_same_rendered_form_posted_twice_files_one_tip(app, client):
    data = form_data(**{k: v for k, v in rendered_form(client).items() if k != "csrf_token"})
    first = post(client, data, [("合同.pdf", PDF)])
    second = post(client, data, [("合同.pdf", PDF)])
    assert first.status_code == 200 and second.status_code == 200
    assert ALREADY not in first.get_data(as_text=True)
    assert ALREADY in second.get_data(as_text=True)
    # The same receipt, code included, within the window.
    assert code_of(first) and code_of(second) == code_of(first)
    assert counts(app) == (1, 1) and len(upload_files(app)) == 1


def test_repeated_key_is_answered_before_the_checks(app, client):
    data = form_data()
    assert post(client, data).status_code == 200
    # Back, fields lost (e.g. restored from the htmx history cache): still no second tip.
    again = post(client, {"submission_key": data["submission_key"]})
    assert again.status_code == 200 and ALREADY in again.get_data(as_text=True)
    assert counts(app) == (1, 0)


# -- a lost response: the retry shows the receipt again, for 30 minutes --------------------

def test_lost_response_retry_within_window_shows_code_then_code_is_erased(app, client):
    data = form_data()
    filed_at = dt.datetime(2026, 3, 2, 1, 0)
    with workflow.at(filed_at):
        code = code_of(post(client, data))
    with workflow.at(filed_at + dt.timedelta(minutes=29)):
        assert code_of(post(client, data)) == code
    with workflow.at(filed_at + dt.timedelta(minutes=31)):
        late = post(client, data)
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and ALREADY in html and code not in html
    assert "30 分钟内" in html
    with app.app_context(), workflow.at(filed_at + dt.timedelta(minutes=31)):
        assert db.session.scalar(db.select(TipSubmission)).sealed_code is not None
        assert receipts.erase_expired(workflow.now()) == 1
        db.session.commit()
        assert db.session.scalar(db.select(TipSubmission)).sealed_code is None
    assert counts(app) == (1, 0)


def test_each_filing_erases_codes_whose_window_ended(app, client):
    with workflow.at(dt.datetime(2026, 3, 2, 1, 0)):
        post(client, form_data())
    post(client, form_data())  # now: months later
    with app.app_context():
        sealed = [s.sealed_code for s in db.session.scalars(
            db.select(TipSubmission).order_by(TipSubmission.id))]
    assert sealed[0] is None and sealed[1] is not None


def test_erase_receipts_command(app, runner, client):
    with workflow.at(dt.datetime(2026, 3, 2, 1, 0)):
        post(client, form_data())
    result = runner.invoke(args=["tips", "erase-receipts"])
    assert result.exit_code == 0 and "erased: 1" in result.output


def test_code_is_sealed_under_the_key_and_the_server_secret(app, client):
    data = form_data()
    code = code_of(post(client, data))
    with app.app_context():
        row = db.session.scalar(db.select(TipSubmission))
        assert code not in row.sealed_code and data["submission_key"] not in row.key_hash
        assert receipts.unseal(row.sealed_code, data["submission_key"]) == code
        assert receipts.unseal(row.sealed_code, receipts.new_key()) is None
        app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough-000000"
        assert receipts.unseal(row.sealed_code, data["submission_key"]) is None


def test_a_form_without_a_valid_key_comes_back_with_a_fresh_one_and_the_input(app, client):
    response = post(client, form_data(submission_key="not-a-key",
                                      description="这段文字必须保留下来，谢谢。"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "这段文字必须保留下来，谢谢。" in html
    assert "表单已更新" in html
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
    assert receipts.is_key(key) and counts(app) == (0, 0)


# -- the 50-way concurrent run --------------------------------------------------------------

def test_fifty_concurrent_posts_of_ten_keys_file_exactly_ten_tips_with_their_files(app):
    keys = [receipts.new_key() for _ in range(10)]
    files = [(f"证据{i}.pdf", PDF) for i in range(4)] + [("截图.png", PNG)]

    def one(n):
        key = keys[n % 10]
        client = app.test_client()
        response = post(client, form_data(submission_key=key,
                                          description=f"并发测试：第 {n % 10} 份表单，内容足够长。"),
                        files)
        assert response.status_code == 200, response.get_data(as_text=True)[:800]
        return key, code_of(response)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, range(50)))
    by_key = {}
    for key, code in results:
        by_key.setdefault(key, set()).add(code)
    assert all(len(found) == 1 and None not in found for found in by_key.values())
    with app.app_context():
        tips = list(db.session.scalars(db.select(Tip)))
        assert len(tips) == 10
        assert all(len(t.attachments) == 5 for t in tips)
        stored = {a.stored_name for a in db.session.scalars(db.select(Attachment))}
    assert len(stored) == 50 and set(upload_files(app)) == stored  # no orphan file


def _worker(app_config, key, start_at):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.intake.submit_worker", app_config["SQLALCHEMY_DATABASE_URI"],
         app_config["INSTANCE_PATH"], app_config["UPLOAD_DIR"], key, str(start_at)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_same_key_from_two_processes_at_once_files_one_tip(app, app_config):
    key = receipts.new_key()
    start_at = time.time() + 6  # both interpreters are up by then
    workers = [_worker(app_config, key, start_at) for _ in range(2)]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-2000:]
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    assert [o["status"] for o in outputs] == [200, 200]
    assert sorted(o["replay"] for o in outputs) == [False, True]
    codes = {CODE_RE.search(o["html"]).group(1) for o in outputs}
    assert len(codes) == 1
    with app.app_context():
        assert db.session.query(Tip).count() == 1
        assert db.session.query(Attachment).count() == 2
    assert len(upload_files(app)) == 2


# -- defect 4: an expired session or token keeps everything typed --------------------------

def test_expired_session_rerenders_form_with_input_fresh_token_and_files_to_reattach(app):
    app.config["WTF_CSRF_ENABLED"] = True
    first = app.test_client()
    hidden = rendered_form(first)
    later = app.test_client()  # the session cookie is gone (expired, cleared)
    data = form_data(csrf_token=hidden["csrf_token"], submission_key=hidden["submission_key"],
                     description="我输入了很长的一段经过，不能丢失。")
    response = post(later, data, [("付款记录.pdf", PDF), ("聊天截图.png", PNG)],
                    headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.headers["X-Form-Rerender"] == "1"
    assert html.lstrip().startswith("{#") is False and "<html" not in html
    assert "我输入了很长的一段经过，不能丢失。" in html and "页面已过期" in html
    assert "付款记录.pdf" in html and "聊天截图.png" in html
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert fresh != hidden["csrf_token"]
    assert f'name="submission_key" value="{hidden["submission_key"]}"' in html
    assert counts(app) == (0, 0) and upload_files(app) == []
    data["csrf_token"] = fresh
    assert post(later, data).status_code == 200 and counts(app) == (1, 0)


def test_failed_commit_gives_the_form_back_with_the_input(app, client, monkeypatch):
    def failing_commit():
        db.session.flush()
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = post(client, form_data(description="故障时也不能丢的描述文字。"),
                    [("a.pdf", PDF)])
    monkeypatch.undo()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "没有保存" in html
    assert "故障时也不能丢的描述文字。" in html and "a.pdf" in html
    assert counts(app) == (0, 0) and upload_files(app) == []


# -- defect 9: duplicates of an unregistered operator ----------------------------------------

def _tip(**fields):
    return make_tip(with_file=False, anonymous=True, **fields).tip


def test_duplicates_of_an_unregistered_operator_are_flagged_with_the_reason(app, client):
    with app.app_context():
        first = _tip(operator_name="演示 知识产权（咨询）工作室")
        second = _tip(operator_name="演示知识产权咨询工作室")
        by_host = _tip(operator_name="别的名字", online_url="https://www.Shop.example.com/a")
        by_host_2 = _tip(operator_name="又一个名字", operator_contact="shop.example.com/b")
        by_handle = _tip(operator_name="甲", operator_contact="微信：Abc_123")
        by_handle_2 = _tip(operator_name="乙", operator_contact="abc123")
        by_uscc = _tip(operator_name="丙", operator_uscc="91140105MA0K123456")
        by_uscc_2 = _tip(operator_name="丁", operator_uscc="91140105MA0K123456")
        other_category = _tip(operator_name="演示知识产权咨询工作室", category="其他")
        assert second.likely_duplicate_of == first
        assert by_host_2.likely_duplicate_of == by_host
        assert by_handle_2.likely_duplicate_of == by_handle
        assert by_uscc_2.likely_duplicate_of == by_uscc
        assert other_category.likely_duplicate_of is None
        assert first.likely_duplicate_of is None
        staff = make_staff("140100", "staff")
        email, reference, host_tip, staff_id = staff.email, second.reference, by_host.id, staff.id
    login(client, email)
    html = client.get(f"/staff/tips/{reference}").get_data(as_text=True)
    box = html.split('id="h-dup"', 1)[1].split("</section>", 1)[0]
    assert "未发现" not in box and "经营者名称相同" in box
    with app.app_context():
        from portal.auth.models import StaffUser

        rows = queries.duplicate_rows(db.session.get(Tip, host_tip),
                                      db.session.get(StaffUser, staff_id))
        assert any("网址域名相同（shop.example.com）" in r for row in rows for r in row["reasons"])
