"""Register test data: bureaus, agencies and the four record kinds (synthetic).

Agencies and records come two ways:

* ``make_agency``, ``make_penalty``, ``make_spot_check``, ``make_grade`` and
  ``make_list_entry`` go through the register's services, as staff publishing would:
  validated, bureau derived from the division, publication window computed, dates relative
  to today.  Use them unless a test needs a row exactly as stored.
* ``penalty_row``, ``spot_check_row``, ``credit_grade_row`` and ``list_entry_row`` add a row
  exactly as given (fixed dates, any status, no window computed, bureau 太原 140100): the
  search tests check what the index makes of the stored rows.
"""

from __future__ import annotations

import datetime as dt
import itertools

from stdnum.cn.uscc import calc_check_digit

from portal.extensions import db
from portal.register import services
from portal.register.models import Agency, Bureau, CreditGrade, ListEntry, Penalty, SpotCheck
from portal.timeutil import today

_seq = itertools.count(1)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def bureau(code: str = "140100") -> Bureau:
    return db.session.scalar(db.select(Bureau).where(Bureau.code == code))


def uscc(body: str) -> str:
    """A valid USCC starting with ``body`` (padded with zeros to 17 characters)."""
    body = (body + "0" * 17)[:17]
    return body + calc_check_digit(body)


def make_uscc(division: str = "140105", n: int | None = None) -> str:
    """A valid USCC registered in ``division``, different for every call (or for every ``n``)."""
    n = next(_seq) if n is None else n
    tail = ""
    for _ in range(7):
        n, r = divmod(n, len(_USCC_ALPHABET))
        tail = _USCC_ALPHABET[r] + tail
    return uscc("91" + division + "MA" + tail)


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


# -- through the services --------------------------------------------------------------------

def make_agency(**fields) -> Agency:
    """A practising patent agency in 小店区 (140105) unless ``fields`` say otherwise."""
    division = fields.pop("division_code", "140105")
    data = {
        "uscc": make_uscc(division), "name": f"太原测试{next(_seq)}知识产权代理有限公司",
        "kind": "patent", "division_code": division, "address": "太原市小店区测试路1号",
        "legal_rep": "测试人", "agent_count": 5, "established_on": "2015-01-01",
    }
    data.update(fields)
    return services.upsert_agency(data)


def make_penalty(agency=None, **fields):
    data = {
        "decision_number": f"并市监罚〔2025〕{next(_seq)}号",
        "party_name": agency.name if agency else "太原无照咨询有限公司",
        "party_uscc": agency.uscc if agency else None,
        "violation_type": "虚假宣传", "facts": "经查，当事人虚假宣传。",
        "legal_basis": "《反不正当竞争法》第二十条", "penalty_kinds": "警告、罚款",
        "fine_amount": "50000", "decided_on": days_ago(40), "published_on": days_ago(30),
        "authority": "太原市市场监督管理局",
        "full_text": "太原市市场监督管理局\n行政处罚决定书\n（全文）当事人虚假宣传，罚款五万元。",
    }
    data.update(fields)
    return services.publish_record("penalty", data)


def make_spot_check(agency, **fields):
    data = {"agency": agency, "task_number": f"T{next(_seq)}", "task_name": "2025年度双随机抽查",
            "check_type": "不定向抽查", "completed_on": days_ago(20), "result": "未发现问题",
            "authority": "太原市市场监督管理局"}
    data.update(fields)
    return services.publish_record("spot_check", data)


def make_grade(agency, **fields):
    data = {"agency": agency, "period": "2024", "grade": "A", "score": "95",
            "evaluated_on": days_ago(100), "authority": "山西省市场监督管理局"}
    data.update(fields)
    return services.publish_record("credit_grade", data)


def make_list_entry(agency, **fields):
    data = {"agency": agency, "list_kind": "abnormal", "inclusion_reason": "未按规定报送年度报告",
            "included_on": days_ago(60), "inclusion_authority": "太原市市场监督管理局"}
    data.update(fields)
    return services.publish_record("list_entry", data)


# -- rows exactly as stored ------------------------------------------------------------------

def _record_fields(kw: dict) -> dict:
    return {
        "authority": kw.pop("authority", "太原市市场监督管理局"),
        "published_on": kw.pop("published_on", dt.date(2025, 6, 1)),
        "publication_ends_on": kw.pop("publication_ends_on", None),
        "status": kw.pop("status", "published"),
        "bureau_id": bureau().id,
    }


def penalty_row(agency: Agency | None, *, facts: str = "该机构存在违法行为。",
                kinds: str = "警告", **kw) -> Penalty:
    n = next(_seq)
    p = Penalty(
        decision_number=kw.pop("decision_number", f"并市监处罚〔2025〕{n}号"),
        agency=agency,
        party_name=kw.pop("party_name", agency.name if agency else "某无资质代理人"),
        party_uscc=kw.pop("party_uscc", agency.uscc if agency else None),
        violation_type=kw.pop("violation_type", "其他"),
        facts=facts,
        legal_basis=kw.pop("legal_basis", "《专利代理条例》第二十五条"),
        penalty_kinds=kinds,
        decided_on=kw.pop("decided_on", dt.date(2025, 5, 20)),
        full_text=kw.pop("full_text", None),
        **_record_fields(kw),
        **kw,
    )
    db.session.add(p)
    return p


def spot_check_row(agency: Agency, *, result: str = "未发现问题", remarks: str | None = None,
                   **kw) -> SpotCheck:
    n = next(_seq)
    s = SpotCheck(
        agency=agency,
        task_number=kw.pop("task_number", f"SX2025-{n}"),
        task_name=kw.pop("task_name", "2025年专利代理机构双随机抽查"),
        check_type=kw.pop("check_type", "不定向抽查"),
        completed_on=kw.pop("completed_on", dt.date(2025, 4, 1)),
        result=result,
        remarks=remarks,
        **_record_fields(kw),
        **kw,
    )
    db.session.add(s)
    return s


def credit_grade_row(agency: Agency, grade: str = "A", period: str = "2024",
                     **kw) -> CreditGrade:
    c = CreditGrade(agency=agency, period=period, grade=grade, score=kw.pop("score", 90),
                    evaluated_on=kw.pop("evaluated_on", dt.date(2025, 3, 1)),
                    **_record_fields(kw), **kw)
    db.session.add(c)
    return c


def list_entry_row(agency: Agency, *, removed_on: dt.date | None = None, **kw) -> ListEntry:
    e = ListEntry(
        agency=agency,
        list_kind=kw.pop("list_kind", "abnormal"),
        inclusion_reason=kw.pop("inclusion_reason", "未按规定报送年度报告"),
        included_on=kw.pop("included_on", dt.date(2025, 4, 1)),
        inclusion_authority="太原市市场监督管理局",
        removed_on=removed_on,
        removal_reason="已补报年度报告" if removed_on else None,
        **_record_fields(kw),
        **kw,
    )
    db.session.add(e)
    return e
