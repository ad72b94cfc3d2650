"""Run by test_submission_keys: one "worker process" POSTing a tip form with a given
submission key at a given moment (both processes start their POST together)."""

import io
import json
import sys
import time

from portal import create_app
from tests.factories.intake import PDF, form_data


def main(db_url, instance, upload_dir, key, start_at):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": instance, "UPLOAD_DIR": upload_dir,
        "SEARCH_ENGINE": "none", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
    })
    client = app.test_client()
    data = form_data(submission_key=key, description="两个进程同时提交的同一份表单，内容足够长。")
    data["evidence"] = [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]
    time.sleep(max(0.0, float(start_at) - time.time()))
    response = client.post("/tips/new", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    print(json.dumps({"status": response.status_code, "replay": "这份举报已经提交过" in html,
                      "html": html}))


if __name__ == "__main__":
    main(*sys.argv[1:])
