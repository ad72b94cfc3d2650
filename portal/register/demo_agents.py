"""issue 14 — synthetic patent agents for ``portal demo``: agents of the demo patent
agencies (1–60 per agency, most agencies small), some with a past agency, and a few
penalties against agents.

Names are drawn from the demo's surname list and given-name characters (no real person);
certificate numbers are synthetic: province digits, the year of certification and a
sequence (``14201800123``).  The generator has its own random stream (derived from the
demo's seed), so the rest of the demo data is the same with or without agents.  Rows
are written with bulk INSERTs per block of agencies and marked ``is_demo``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import delete, func, insert, select, update

from ..extensions import db
from ..timeutil import utcnow
from . import divisions, vocab
from .cleaning import decision_key
from .models import Agency, Agent, AgentPractice, Penalty
from .publication import publication_end_for

MAX_PER_AGENCY = 60
AGENCY_BLOCK = 5000  # agencies whose agents are generated and written per round
CHUNK = 5000
SALT = 0x5A6E7  # the agents' stream: seed ^ SALT
AGENT_STATUS_WEIGHTS = {"practising": 95, "suspended": 3, "deregistered": 2}
MOVED_SHARE = 0.22  # agents who practised in another agency before
PENALTY_EVERY = 150  # one penalty against an agent per this many agencies (at least two)

AGENT_VIOLATIONS = {
    "代理师未落实签名责任制": (
        "经查，当事人{name}（执业证号{no}）系{agency}的执业专利代理师，{a}至{b}期间"
        "承办的专利申请中有{n}件申请文件未经其本人签名即提交，未落实专利代理师签名责任制。",
        "依据《专利代理条例》第二十六条第一款", (("警告",), ("通报批评",), ("警告", "罚款"))),
    "专利代理师同时在两个以上机构执业": (
        "经查，当事人{name}（执业证号{no}）在{agency}执业期间，{a}至{b}期间同时以"
        "其他专利代理机构名义承办专利代理业务{n}件，属于同时在两个以上专利代理机构执业。",
        "依据《专利代理条例》第二十六条第一款第（一）项", (("警告", "罚款"), ("通报批评",))),
}


def _name(r: random.Random) -> str:
    from .demo import GIVEN_CHARS, SURNAMES

    given = r.choice(GIVEN_CHARS)
    if r.random() < 0.75:
        given += r.choice(GIVEN_CHARS)
    return r.choice(SURNAMES) + given


def _between(r: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=r.randrange((end - start).days + 1))


def _per_agency(r: random.Random, agent_count: int) -> int:
    """1–60 agents, skewed small: the agency's published count when it has one."""
    if agent_count > 0:
        return min(agent_count, MAX_PER_AGENCY)
    return min(1 + int(r.expovariate(1 / 5)), MAX_PER_AGENCY)


class _AgentBuilder:
    def __init__(self, builder, seed: int):
        self.demo = builder  # the demo's builder: its bureaus and decision numbers
        self.r = random.Random(seed ^ SALT)
        self.anchor: dt.date = builder.anchor
        self.now = utcnow()
        self.seq: dict[tuple[str, int], int] = {}
        self.agencies: list[tuple] = []  # every demo patent agency (a past agency's pool)

    def certificate(self, province: str, certified: dt.date) -> str:
        key = (province, certified.year)
        self.seq[key] = self.seq.get(key, 0) + 1
        return f"{province}{certified.year}{self.seq[key]:05d}"

    def build(self) -> dict[str, int]:
        # The published number of practising agents stays within what is generated.
        db.session.execute(update(Agency).where(
            Agency.is_demo.is_(True), Agency.kind.in_(("patent", "both")),
            Agency.agent_count > MAX_PER_AGENCY).values(agent_count=MAX_PER_AGENCY))
        self.agencies = list(db.session.execute(
            select(Agency.id, Agency.division_code, Agency.established_on, Agency.status,
                   Agency.agent_count)
            .where(Agency.is_demo.is_(True), Agency.kind.in_(("patent", "both")))
            .order_by(Agency.id)).all())
        totals = {"agents": 0, "agent_practices": 0}
        candidates: list[tuple] = []  # (agent id, name, certificate, agency row, since)
        for start in range(0, len(self.agencies), AGENCY_BLOCK):
            counts, picked = self.block(self.agencies[start:start + AGENCY_BLOCK])
            totals["agents"] += counts[0]
            totals["agent_practices"] += counts[1]
            candidates += picked
        totals["agent_penalties"] = self.penalties(candidates)
        return totals

    def block(self, agencies: list[tuple]) -> tuple[tuple[int, int], list[tuple]]:
        r = self.r
        max_id = db.session.scalar(select(func.max(Agent.id))) or 0
        agents, plans = [], []
        for agency in agencies:
            agency_id, division, established, status, count = agency
            if status not in ("practising", "suspended"):
                continue
            province = divisions.province_digits(division)
            for _k in range(_per_agency(r, count)):
                certified = _between(r, dt.date(1996, 1, 1), self.anchor - dt.timedelta(days=60))
                agent_status = self.weighted(AGENT_STATUS_WEIGHTS)
                row = {"certificate_no": self.certificate(province, certified), "name": _name(r),
                       "agency_id": agency_id, "status": agent_status, "certified_on": certified,
                       "is_demo": True, "created_at": self.now, "updated_at": self.now}
                since = max(certified, established or certified)
                periods = []
                if r.random() < MOVED_SHARE and since + dt.timedelta(days=400) < self.anchor:
                    former = r.choice(self.agencies)
                    if former[0] != agency_id:
                        moved = _between(r, since + dt.timedelta(days=200),
                                         self.anchor - dt.timedelta(days=30))
                        periods.append((former[0], since, moved))
                        since = moved
                end = None
                if agent_status == "deregistered":  # practises nowhere now
                    end = _between(r, since + dt.timedelta(days=30),
                                   self.anchor - dt.timedelta(days=1))
                    row["agency_id"] = None
                periods.append((agency_id, since, end))
                agents.append(row)
                plans.append(periods)
        _insert(Agent, agents)
        ids = dict(db.session.execute(select(Agent.certificate_no, Agent.id).where(
            Agent.is_demo.is_(True), Agent.id > max_id)).all())
        practices, picked = [], []
        by_id = {a[0]: a for a in agencies}
        for row, periods in zip(agents, plans, strict=True):
            agent_id = ids[row["certificate_no"]]
            for agency_id, started, ended in periods:
                practices.append({"agent_id": agent_id, "agency_id": agency_id,
                                  "started_on": started, "ended_on": ended})
            if row["agency_id"] is not None and row["status"] == "practising":
                picked.append((agent_id, row["name"], row["certificate_no"],
                               by_id[row["agency_id"]], periods[-1][1]))
        _insert(AgentPractice, practices)
        count = max(2, len(agencies) // PENALTY_EVERY)
        chosen = self.r.sample(picked, min(count, len(picked))) if picked else []
        return (len(agents), len(practices)), chosen

    def weighted(self, mapping: dict):
        keys = list(mapping)
        return self.r.choices(keys, weights=[mapping[k] for k in keys])[0]

    def penalties(self, candidates: list[tuple]) -> int:
        """Penalties against agents, decided while they practised in their current agency
        (``agency_id`` is that agency: where they practised on the decision date)."""
        from .demo import PROVINCE_IP_ABBR, _cn_date

        r, rows = self.r, []
        for agent_id, name, number, agency, since in candidates:
            agency_id, division = agency[0], agency[1]
            start = max(since, self.anchor - dt.timedelta(days=3 * 365))
            if start >= self.anchor - dt.timedelta(days=10):
                continue
            province = divisions.province_of(division)
            bureau = self.demo.bureaus.get(province)
            if bureau is None or province not in PROVINCE_IP_ABBR:
                continue
            violation = r.choice(sorted(AGENT_VIOLATIONS))
            facts_tpl, basis, choices = AGENT_VIOLATIONS[violation]
            kinds = list(r.choice(choices))
            fine = Decimal(r.randint(2, 10) * 5000) if "罚款" in kinds else None
            decided = _between(r, start, self.anchor - dt.timedelta(days=5))
            published = min(decided + dt.timedelta(days=r.randint(1, 15)), self.anchor)
            prefix = PROVINCE_IP_ABBR[province]
            seq = self.demo.next_decision_number(prefix, decided.year)
            decision = f"{prefix}〔{decided.year}〕{seq}号"
            agency_name = db.session.get(Agency, agency_id).name
            facts = facts_tpl.format(
                name=name, no=number, agency=agency_name, n=r.randint(3, 60),
                a=_cn_date(decided - dt.timedelta(days=r.randint(200, 500))),
                b=_cn_date(decided - dt.timedelta(days=r.randint(40, 120))))
            outcome = "、".join(k if k != "罚款" else f"罚款人民币{fine:,.0f}元" for k in kinds)
            rows.append({
                "authority": bureau.name, "published_on": published,
                "publication_ends_on": publication_end_for(kinds, fine, None, published),
                "status": "published", "status_reason": None, "status_changed_at": None,
                "created_at": self.now, "updated_at": self.now, "bureau_id": bureau.id,
                "is_demo": True, "created_by_id": None, "updated_by_id": None,
                "status_changed_by_id": None, "decision_number": decision,
                "decision_key": decision_key(decision), "agency_id": agency_id,
                "agent_id": agent_id, "party_name": name, "party_uscc": None, "legal_rep": None,
                "violation_type": violation, "facts": facts,
                "legal_basis": basis.removeprefix("依据"),
                "penalty_kinds": "、".join(k for k in vocab.PENALTY_KINDS if k in kinds),
                "fine_amount": fine, "confiscation_amount": None, "suspension_months": None,
                "decided_on": decided,
                "full_text": "\n".join([bureau.name, "行政处罚决定书", decision, "",
                                        f"当事人：{name}（专利代理师，执业证号{number}）",
                                        f"执业机构：{agency_name}", "", facts, "",
                                        f"{basis}，本机关决定对当事人作出如下行政处罚：{outcome}。",
                                        "", bureau.name, _cn_date(decided)]),
            })
        _insert(Penalty, rows)
        return len(rows)


def _insert(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[i:i + CHUNK])


def build_demo_agents(builder, *, seed: int) -> dict[str, int]:
    """Insert the demo agents, their practice history and penalties against some of them,
    after the demo agencies; returns counts (agents, agent_practices, agent_penalties)."""
    return _AgentBuilder(builder, seed).build()


def clear_demo_agents() -> None:
    """Delete the demo agents (penalties against them first) and every period of practice
    in a demo agency; an agent who is not demo data but practises in one is left without
    an agency."""
    demo_agents = select(Agent.id).where(Agent.is_demo.is_(True))
    demo_agencies = select(Agency.id).where(Agency.is_demo.is_(True))
    db.session.execute(delete(Penalty).where(Penalty.agent_id.in_(demo_agents)))
    db.session.execute(delete(AgentPractice).where(AgentPractice.agent_id.in_(demo_agents)))
    db.session.execute(delete(AgentPractice).where(AgentPractice.agency_id.in_(demo_agencies)))
    db.session.execute(update(Agent).where(Agent.agency_id.in_(demo_agencies))
                       .values(agency_id=None))
    db.session.execute(delete(Agent).where(Agent.is_demo.is_(True)))
