"""Import benchmark: a penalty file of N rows (default 50,000) into a fresh SQLite database.

Makes its data with the same helpers as the tests (valid USCCs, 2,000 registered agencies;
half the penalties name a registered agency, half an unregistered operator), then runs
`plan_import` (the dry run) and `apply_import` and prints seconds and peak memory.

    .venv/bin/python bench/import.py [--rows 50000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.register.importer import apply_import, plan_import  # noqa: E402
from portal.register.reference import load_bureaus, load_divisions  # noqa: E402
from tests.factories.register import make_uscc  # noqa: E402

PENALTY_HEADER = ["行政处罚决定书文号", "当事人名称", "统一社会信用代码", "违法行为类型",
                  "违法事实", "处罚依据", "处罚类别", "罚款金额（元）", "处罚决定日期", "处罚机关"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_files(base: Path, rows: int, agencies: int) -> tuple[Path, Path]:
    agency_file, penalty_file = base / "agencies.csv", base / "penalties.csv"
    parties = []
    with open(agency_file, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "机构名称", "机构类型", "行政区划代码"])
        for n in range(agencies):
            uscc, name = make_uscc("140105", n + 1), f"太原基准{n}专利代理有限公司"
            parties.append((uscc, name))
            w.writerow([uscc, name, "专利代理", "140105"])
    with open(penalty_file, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["2026年行政处罚信息公示表"])
        w.writerow(["序号", *PENALTY_HEADER])
        for n in range(rows):
            if n % 2:
                uscc, name = parties[n % agencies]
            else:
                uscc, name = make_uscc("140106", 10_000_000 + n), f"无照咨询部{n}"
            w.writerow([n + 1, f"并市监罚〔2026〕{n + 1}号", name, uscc, "虚假宣传",
                        "经查，当事人在网站上虚假宣传其代理成功率。", "《反不正当竞争法》第二十条",
                        "警告、罚款", 30000 + n % 7 * 1000, "2026-01-05", "太原市市场监督管理局"])
    return agency_file, penalty_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--agencies", type=int, default=2_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = args.database_url or f"sqlite:///{base / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(base),
                      "SECRET_KEY": "x" * 40, "SEARCH_ENGINE": "none"})
    agency_file, penalty_file = _write_files(base, args.rows, args.agencies)
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_divisions()
        load_bureaus()
        db.session.commit()
        plan = plan_import("agency", agency_file)
        apply_import(plan)
        db.session.commit()
        print(f"rows: {args.rows:,} penalties ({args.agencies:,} registered agencies)")
        print(f"peak memory before the import: {_peak_mb():.0f} MB")
        started = time.perf_counter()
        plan = plan_import("penalty", penalty_file)
        checked = time.perf_counter()
        assert plan.ok, [str(e) for e in plan.errors[:5]]
        apply_import(plan)
        db.session.commit()
        done = time.perf_counter()
        print(f"check (dry run): {checked - started:.1f} s")
        print(f"check + write:   {done - started:.1f} s ({len(plan.creates):,} created)")
        print(f"peak memory:     {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
