"""Small factories for search tests: rows written through the ORM (so the hooks see them)."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa
from stdnum.cn.uscc import calc_check_digit

from portal.extensions import db
from portal.register.models import (
    Agency,
    AgencyFormerName,
    Bureau,
    CreditGrade,
    ListEntry,
    Penalty,
    SpotCheck,
)

_seq = itertools.count(1)
TODAY = dt.date(2026, 1, 15)


def make_uscc(n: int) -> str:
    body = f"91{140105 if n % 2 else 310115}MA{n:07d}"
    return body + calc_check_digit(body)


def bureau(code: str = "140100") -> Bureau:
    return db.session.scalar(sa.select(Bureau).where(Bureau.code == code))


def agency(name: str, *, division: str = "140105", former: tuple[str, ...] = (), **kw) -> Agency:
    n = next(_seq)
    a = Agency(
        uscc=kw.pop("uscc", make_uscc(n)),
        name=name,
        licence_no=kw.pop("licence_no", f"14{n:03d}"),
        kind=kw.pop("kind", "patent"),
        status="practising",
        address=kw.pop("address", f"山西省太原市小店区长风街{n}号"),
        division_code=division,
        bureau_id=bureau("140100" if division.startswith("14") else "310000").id,
        established_on=kw.pop("established_on", dt.date(2015, 1, 1)),
        **kw,
    )
    for i, f in enumerate(former):
        a.former_names.append(AgencyFormerName(name=f, until=dt.date(2020, 1, 1 + i)))
    db.session.add(a)
    return a


def _common(kw):
    return {
        "authority": kw.pop("authority", "太原市市场监督管理局"),
        "published_on": kw.pop("published_on", dt.date(2025, 6, 1)),
        "publication_ends_on": kw.pop("publication_ends_on", None),
        "status": kw.pop("status", "published"),
        "bureau_id": bureau().id,
    }


def penalty(ag: Agency | None, *, facts: str = "该机构存在违法行为。", kinds: str = "警告",
            **kw) -> Penalty:
    n = next(_seq)
    p = Penalty(
        decision_number=kw.pop("decision_number", f"并市监处罚〔2025〕{n}号"),
        agency=ag,
        party_name=kw.pop("party_name", ag.name if ag else "某无资质代理人"),
        party_uscc=kw.pop("party_uscc", ag.uscc if ag else None),
        violation_type=kw.pop("violation_type", "其他"),
        facts=facts,
        legal_basis=kw.pop("legal_basis", "《专利代理条例》第二十五条"),
        penalty_kinds=kinds,
        decided_on=kw.pop("decided_on", dt.date(2025, 5, 20)),
        full_text=kw.pop("full_text", None),
        **_common(kw),
        **kw,
    )
    db.session.add(p)
    return p


def spot_check(ag: Agency, *, result: str = "未发现问题", remarks: str | None = None,
               **kw) -> SpotCheck:
    n = next(_seq)
    s = SpotCheck(
        agency=ag,
        task_number=kw.pop("task_number", f"SX2025-{n}"),
        task_name=kw.pop("task_name", "2025年专利代理机构双随机抽查"),
        check_type=kw.pop("check_type", "不定向抽查"),
        completed_on=kw.pop("completed_on", dt.date(2025, 4, 1)),
        result=result,
        remarks=remarks,
        **_common(kw),
        **kw,
    )
    db.session.add(s)
    return s


def credit_grade(ag: Agency, grade: str = "A", period: str = "2024", **kw) -> CreditGrade:
    c = CreditGrade(agency=ag, period=period, grade=grade, score=kw.pop("score", 90),
                    evaluated_on=kw.pop("evaluated_on", dt.date(2025, 3, 1)), **_common(kw), **kw)
    db.session.add(c)
    return c


def list_entry(ag: Agency, *, removed_on: dt.date | None = None, **kw) -> ListEntry:
    e = ListEntry(
        agency=ag,
        list_kind=kw.pop("list_kind", "abnormal"),
        inclusion_reason=kw.pop("inclusion_reason", "未按规定报送年度报告"),
        included_on=kw.pop("included_on", dt.date(2025, 4, 1)),
        inclusion_authority="太原市市场监督管理局",
        removed_on=removed_on,
        removal_reason="已补报年度报告" if removed_on else None,
        **_common(kw),
        **kw,
    )
    db.session.add(e)
    return e
