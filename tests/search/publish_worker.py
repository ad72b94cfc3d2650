"""Run by test_concurrency: publish N penalties from a separate process."""

import sys

from portal import create_app
from portal.extensions import db
from tests.search.conftest import penalty_row


def main(db_url, index_dir, engine, tag, n):
    # SQLite: wait for the other writer's lock instead of failing at once.
    options = {"connect_args": {"timeout": 30}} if db_url.startswith("sqlite") else {}
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": db_url,
                      "SEARCH_ENGINE": engine, "SEARCH_INDEX_DIR": index_dir,
                      "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "INSTANCE_PATH": index_dir + "-instance-" + tag})
    with app.app_context():
        ag = db.session.get(__import__("portal.register.models", fromlist=["Agency"]).Agency, 1)
        for i in range(int(n)):
            penalty_row(ag, facts=f"并发发布测试{tag}第{i}号", decision_number=f"并发〔{tag}〕{i}号")
            db.session.commit()


if __name__ == "__main__":
    main(*sys.argv[1:])
