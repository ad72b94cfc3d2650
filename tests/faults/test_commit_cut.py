"""The connection to PostgreSQL drops right after COMMIT was sent (a TCP proxy cuts it):
the tip is stored, so its files must stay and the reporter gets the receipt."""

from __future__ import annotations

import io
import os
import re

import pytest
import sqlalchemy as sa

from tests.factories.intake import PDF, PNG, form_data

from .conftest import SECRET
from .proxy import CommitCuttingProxy

pytestmark = pytest.mark.faults

CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="([^"]+)"')


def test_connection_cut_after_commit_keeps_the_tip_its_files_and_shows_the_receipt(
        scratch_db, tmp_path):
    from intake.models import Attachment, Tip
    from portal import create_app
    from portal.extensions import db

    proxy = CommitCuttingProxy(scratch_db.host or "127.0.0.1", scratch_db.port or 5432)
    url = scratch_db.set(host="127.0.0.1", port=proxy.port,
                         query={"sslmode": "disable"}).render_as_string(hide_password=False)
    upload = str(tmp_path / "uploads")
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "UPLOAD_DIR": upload,
                      "SEARCH_ENGINE": "none", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    try:
        client = app.test_client()
        data = form_data(description="提交后连接被切断，举报其实已经保存。")
        data["evidence"] = [(io.BytesIO(PDF), "合同.pdf"), (io.BytesIO(PNG), "截图.png")]
        proxy.armed.set()
        response = client.post("/tips/new", data=data, content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert proxy.cuts == 1
        assert response.status_code == 200 and CODE_RE.search(html), html[:1500]
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Tip)) == 1
            names = set(db.session.scalars(sa.select(Attachment.stored_name)))
            db.session.remove()
            db.engine.dispose()
        assert len(names) == 2 and set(os.listdir(upload)) == names
    finally:
        proxy.close()
