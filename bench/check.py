"""Shortlist check benchmark: a 200-line /check (issue 16: "200 lines answer in under 2 s").

    export PORTAL_INSTANCE_PATH=/tmp/big16
    .venv/bin/portal db upgrade && .venv/bin/portal demo --agencies 100000
    .venv/bin/portal search rebuild
    .venv/bin/python bench/check.py --runs 5

Runs against an EXISTING instance (database and search index; nothing is written).  Builds a
200-line shortlist from the data, mixed as a tender's list would be: USCCs, current names,
names typed without their legal form (normalized match through the search index), former
names, a few with a wrong check character and a few unknown names (suggestions).  Posts it
to /check through the Flask test client ``--runs`` times after one warm-up, and prints
p50 / max in ms for the HTML answer and for the XLSX download, then the same for a
reference measured in the same run: the agency directory page (one page of 20).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_app():
    from portal import create_app

    return create_app({"TESTING": False, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False},
                      from_cli=True)


def shortlist(n: int) -> list[str]:
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.register.models import Agency, AgencyFormerName
    from search.names import LEGAL_FORMS

    agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.id)
                                       .limit(n * 3)))[::3][:n]
    former = list(db.session.scalars(sa.select(AgencyFormerName.name).limit(n // 10)))
    lines = []
    for i, a in enumerate(agencies):
        kind = i % 10
        if kind == 3 and i % 20 == 3:  # a typo in the check character
            lines.append(a.uscc[:17] + ("0" if a.uscc[17] != "0" else "1"))
        elif kind < 4:
            lines.append(a.uscc)
        elif kind < 7:
            lines.append(a.name)
        elif kind == 7:
            bare = a.name
            for form in LEGAL_FORMS:
                bare = bare.removesuffix(f"（{form}）").removesuffix(form)
            lines.append(bare)
        elif kind == 8 and former:
            lines.append(former.pop())
        else:
            lines.append(f"不存在的测试机构{i}号知识产权代理有限公司")
    return lines[:n]


def timed(client, runs: int, **post) -> list[float]:
    out = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        resp = client.post("/check", **post) if post else client.get("/agencies/")
        ms = (time.perf_counter() - t0) * 1000
        if resp.status_code != 200:
            sys.exit(f"status {resp.status_code}")
        if i:
            out.append(ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=200)
    args = parser.parse_args()
    app = make_app()
    with app.app_context():
        from sqlalchemy import func, select

        from portal.extensions import db
        from portal.register.models import Agency

        total = db.session.scalar(select(func.count()).select_from(Agency))
        lines = shortlist(args.lines)
    client = app.test_client()
    body = {"lines": "\n".join(lines), "action": "check"}
    with app.test_request_context():
        from portal.check.matching import match_lines

        status = {}
        for line in match_lines(lines):
            status[line.status] = status.get(line.status, 0) + 1
    print(f"agencies in the register: {total:,}; lines: {len(lines)}; matched as: {status}")
    rows = [("check, HTML page", timed(client, args.runs, data=body)),
            ("check, XLSX download", timed(client, args.runs, data={**body, "action": "xlsx"})),
            ("reference: directory page", timed(client, args.runs))]
    for label, values in rows:
        median = sorted(values)[len(values) // 2]
        print(f"{label:28} median {median:8.1f} ms   max {max(values):8.1f} ms")


if __name__ == "__main__":
    main()
