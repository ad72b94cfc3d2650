"""issue 14 — synthetic association self-discipline measures for ``portal demo``.

A few dozen measures (one per ten demo agencies, 12 to 60) against demo patent agencies
and demo agents, decided by the national or the provincial association and published by
the province's bureau (the bureau the association publisher's account belongs to).  The
generator has its own random stream (the demo's seed ^ ``SALT``): the rest of the demo
data is the same with or without it.  Every row goes through the kind's cleaning (the
form's and the importer's rules) and is marked ``is_demo``.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import delete, or_, select

from ..extensions import db
from ..register import divisions, kinds, services
from ..register.models import Agency, Agent, AssociationMeasure, Bureau
from . import measure_kinds

SALT = 0xA55C
PER_AGENCIES = 10
MINIMUM, MAXIMUM = 12, 60
AGENT_SHARE = 0.4  # measures against an agent rather than an agency
NATIONAL = "中华全国专利代理师协会"
PROVINCIAL = {"14": "山西省专利代理师协会", "31": "上海市专利代理师协会",
              "41": "河南省专利代理师协会"}
RULES = "《专利代理行业自律惩戒规则》"

# (measure key, facts template, article): {party} is the party's name, {a}/{b} dates.
AGENCY_FACTS = (
    ("interview", "{party}在{a}至{b}期间承接的专利申请中多件申请文件质量明显低下，"
                  "经协会质量抽查发现后未及时整改。", "第九条"),
    ("admonition", "{party}在网络平台发布“包授权”“快速下证”等不实宣传，经协会提醒后"
                   "仍未删除。", "第十条"),
    ("circulated_criticism", "{party}在{a}至{b}期间以明显低于成本的价格招揽业务，扰乱行业秩序。",
     "第十一条"),
    ("public_censure", "{party}代理非正常专利申请，经国家知识产权局通报后仍未有效整改。",
     "第十二条"),
    ("membership_suspended", "{party}拒不配合协会调查，未按要求提交相关材料。", "第十四条"),
)
AGENT_FACTS = (
    ("interview", "专利代理师{party}在{a}至{b}期间承办的多件专利申请文件撰写质量不达标。",
     "第九条"),
    ("warning", "专利代理师{party}在{a}至{b}期间未在其承办的部分专利申请文件上签名。",
     "第十条"),
    ("circulated_criticism", "专利代理师{party}同时在两家专利代理机构执业，违反执业规范。",
     "第十一条"),
    ("public_censure", "专利代理师{party}参与代理非正常专利申请，情节较重。", "第十二条"),
    ("membership_revoked", "专利代理师{party}受到吊销专利代理师资格证处罚后，"
                           "仍以专利代理师名义承接业务。", "第十五条"),
)


def _between(r: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=r.randrange((end - start).days + 1))


def _province_bureau(code: str, cache: dict[str, Bureau | None]) -> Bureau | None:
    province = divisions.province_of(code)
    if province not in cache:
        cache[province] = db.session.scalar(select(Bureau).where(Bureau.code == province))
    return cache[province]


def build_demo_measures(*, seed: int, anchor: dt.date) -> int:
    """Insert the demo measures (after the demo agencies and agents); their number."""
    measure_kinds.ensure_default_kinds()
    r = random.Random(seed ^ SALT)
    agencies = list(db.session.scalars(
        select(Agency).where(Agency.is_demo.is_(True), Agency.kind.in_(("patent", "both")))
        .order_by(Agency.id)))
    agents = list(db.session.scalars(
        select(Agent).where(Agent.is_demo.is_(True), Agent.agency_id.is_not(None))
        .order_by(Agent.id)))
    if not agencies:
        return 0
    wanted = max(MINIMUM, min(MAXIMUM, len(agencies) // PER_AGENCIES))
    kind = kinds.get("association_measure")
    bureaus: dict[str, Bureau | None] = {}
    items: list[tuple[dict, Bureau]] = []
    keys: set[str] = set()
    for n in range(wanted * 3):
        if len(items) == wanted:
            break
        use_agent = bool(agents) and r.random() < AGENT_SHARE
        decided = _between(r, anchor - dt.timedelta(days=3 * 365), anchor - dt.timedelta(days=5))
        if use_agent:
            agent = r.choice(agents)
            party = {"agent_certificate_no": agent.certificate_no}
            measure, facts, article = r.choice(AGENT_FACTS)
            division = agent.agency.division_code if agent.agency else "140000"
            name = agent.name
        else:
            agency = r.choice(agencies)
            party = {"party_uscc": agency.uscc}
            measure, facts, article = r.choice(AGENCY_FACTS)
            name, division = agency.name, agency.division_code
        bureau = _province_bureau(division, bureaus)
        if bureau is None:
            continue
        start = decided - dt.timedelta(days=r.randrange(60, 400))
        national = r.random() < 0.3
        decided_by = NATIONAL if national else PROVINCIAL.get(division[:2], NATIONAL)
        prefix = "中专代协惩" if national else "专代协惩"
        data = {
            **party, "measure": measure,
            "facts": facts.format(party=name, a=start.isoformat(), b=decided.isoformat()),
            "basis": f"{RULES}{article}", "decided_by": decided_by,
            "decided_on": decided.isoformat(),
            "decision_number": (f"{prefix}〔{decided.year}〕{n + 1}号"
                                if r.random() < 0.7 else ""),
            "published_on": min(anchor, decided + dt.timedelta(days=r.randrange(0, 15)))
            .isoformat(),
        }
        values = kind.clean(data, bureau=bureau)
        if values["measure_key"] in keys:
            continue
        keys.add(values["measure_key"])
        items.append((dict(values, is_demo=True), bureau))
    services.create_records("association_measure", items)
    return len(items)


def clear_demo_measures() -> None:
    """Delete the demo measures and every measure about a demo agency or a demo agent
    (before the agents and agencies go)."""
    demo_agencies = select(Agency.id).where(Agency.is_demo.is_(True))
    demo_agents = select(Agent.id).where(Agent.is_demo.is_(True))
    db.session.execute(delete(AssociationMeasure).where(or_(
        AssociationMeasure.is_demo.is_(True), AssociationMeasure.agency_id.in_(demo_agencies),
        AssociationMeasure.agent_id.in_(demo_agents))))
