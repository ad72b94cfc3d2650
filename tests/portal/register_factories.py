"""Small builders for register tests (agencies and records through the services)."""

from __future__ import annotations

import datetime as dt
import itertools

from stdnum.cn.uscc import calc_check_digit

from portal.register import services
from portal.timeutil import today

_seq = itertools.count(1)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(division: str = "140105", n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    tail = ""
    for _ in range(7):
        n, r = divmod(n, 31)
        tail = ALPHABET[r] + tail
    body = "91" + division + "MA" + tail
    return body + calc_check_digit(body)


def make_agency(**over):
    division = over.pop("division_code", "140105")
    data = {
        "uscc": make_uscc(division), "name": f"太原测试{next(_seq)}知识产权代理有限公司",
        "kind": "patent", "division_code": division, "address": "太原市小店区测试路1号",
        "legal_rep": "测试人", "agent_count": 5, "established_on": "2015-01-01",
    }
    data.update(over)
    return services.upsert_agency(data)


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def make_penalty(agency=None, **over):
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
    data.update(over)
    return services.publish_record("penalty", data)


def make_spot_check(agency, **over):
    data = {"agency": agency, "task_number": f"T{next(_seq)}", "task_name": "2025年度双随机抽查",
            "check_type": "不定向抽查", "completed_on": days_ago(20), "result": "未发现问题",
            "authority": "太原市市场监督管理局"}
    data.update(over)
    return services.publish_record("spot_check", data)


def make_grade(agency, **over):
    data = {"agency": agency, "period": "2024", "grade": "A", "score": "95",
            "evaluated_on": days_ago(100), "authority": "山西省市场监督管理局"}
    data.update(over)
    return services.publish_record("credit_grade", data)


def make_list_entry(agency, **over):
    data = {"agency": agency, "list_kind": "abnormal", "inclusion_reason": "未按规定报送年度报告",
            "included_on": days_ago(60), "inclusion_authority": "太原市市场监督管理局"}
    data.update(over)
    return services.publish_record("list_entry", data)
