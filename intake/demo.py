"""Synthetic, deterministic demo tips in various states, made through the workflow.

No real people: reporters are "演示举报人 N" with .invalid e-mail addresses (no outbox
mail is queued for demo data).  Actors are staff of the handling bureau when engineer
D's demo accounts exist, otherwise the system (actor None).
"""

from __future__ import annotations

import datetime as dt
import random

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Agency, Bureau, Division
from portal.timeutil import utcnow

from . import codes, services, workflow
from .categories import CATEGORIES
from .models import Tip

DESCRIPTIONS = (
    "对方在搜索引擎投放广告，自称“官方指定代理”，承诺三个月内授权，收取加急费后失联。",
    "该机构以多家空壳公司名义批量提交内容雷同的专利申请，申请人与发明人并不知情。",
    "对方声称有内部快速授权渠道，要求先付全款，合同中未写明代理机构名称。",
    "在网店购买专利代理服务后发现对方没有代理资质，申请文件由他人代为提交。",
    "该机构提交的申请文件上没有代理师签名，联系人称由兼职人员办理。",
    "对方以“包过”为名宣传商标注册，并抢注与我公司字号相同的商标后要求高价转让。",
    "宣传材料中夸大成功率和业绩，列出的代理师名单与实际执业人员不符。",
    "对方要求在专利申请中增加与发明无关的人员作为发明人，并按人头收费。",
)

OUTSIDE_PLACES = ("110105", "440305", "330106")  # outside the portal's bureaus: triage


def _pick_place(rng: random.Random, bureaus: list[Bureau]) -> str:
    if rng.random() < 0.1:
        return rng.choice(OUTSIDE_PLACES)
    return rng.choice(bureaus).code


def _actor(bureau_id: int, roles: tuple[str, ...]):
    return db.session.scalar(
        db.select(StaffUser).where(StaffUser.bureau_id == bureau_id,
                                   StaffUser.role.in_(roles), StaffUser.active.is_(True))
        .order_by(StaffUser.id).limit(1)
    )


def demo_code(seed: int, index: int) -> str:
    rng = random.Random(f"{seed}:code:{index}")
    return codes.format_code("".join(rng.choice(codes.ALPHABET) for _ in range(codes.CODE_LENGTH)))


# A full demo register (``portal demo``: 1,000 agencies or more) gets this many tips over
# two years, enough for the public statistics; a small one (tests) gets SMALL_COUNT.
FULL_COUNT, SMALL_COUNT, FULL_REGISTER = 3000, 60, 1000
# A few agencies draw many tips (and more of them are substantiated), as in life.
REPEAT_OFFENDERS, REPEAT_SHARE = 12, 0.25


def build_demo_tips(*, count: int | None = None, seed: int = 20261121) -> int:
    """Create ``count`` tips (flushes; the caller commits).  Returns how many were made.
    Without ``count``: FULL_COUNT tips over two years when the register holds a full demo
    (FULL_REGISTER agencies or more), else SMALL_COUNT tips over five months."""
    rng = random.Random(seed)
    bureaus = list(db.session.scalars(db.select(Bureau).where(Bureau.active.is_(True))
                                      .order_by(Bureau.code)))
    agencies = list(db.session.scalars(db.select(Agency).order_by(Agency.id).limit(500)))
    if count is None:
        registered = db.session.scalar(db.select(db.func.count(Agency.id))) or 0
        count = FULL_COUNT if registered >= FULL_REGISTER else SMALL_COUNT
    span = 730 if count > 100 else 150
    now = utcnow()
    for i in range(count):
        start = now - dt.timedelta(days=rng.randint(0, span), hours=rng.randint(0, 23),
                                   minutes=rng.randint(0, 59))
        data = _tip_data(i, rng, start, bureaus, agencies)
        with workflow.at(start):
            tip = services.submit_tip(data, code=demo_code(seed, i)).tip
        tip.is_demo = True
        _advance(tip, rng, start, bureaus)
    db.session.flush()
    return count


def _tip_data(i: int, rng: random.Random, start: dt.datetime, bureaus: list[Bureau],
              agencies: list[Agency]) -> dict:
    """The form data of demo tip number ``i`` (about an agency, or about an unlisted operator)."""
    category = rng.choice(list(CATEGORIES))
    agency = None
    if agencies and rng.random() < 0.7:
        pool = agencies[:REPEAT_OFFENDERS] if rng.random() < REPEAT_SHARE else agencies
        agency = rng.choice(pool)
    online = rng.random() < 0.3
    named = rng.random() < 0.4
    return {
        "category": category,
        "agency": agency,
        **_operator(i, rng, agency, bureaus),
        "division_code": None if online and rng.random() < 0.5 else _pick_place(rng, bureaus),
        "online": online,
        "online_url": f"https://ads.example.invalid/{i + 1}" if online else None,
        "occurred_on": (start - dt.timedelta(days=rng.randint(1, 30))).date(),
        "description": rng.choice(DESCRIPTIONS),
        "anonymous": not named,
        "reporter_name": f"演示举报人{i + 1:03d}" if named else None,
        "reporter_phone": f"1380000{i:04d}" if named else None,
        "reporter_email": None,  # no outbox mail for demo data
    }


def _operator(i: int, rng: random.Random, agency: Agency | None, bureaus: list[Bureau]) -> dict:
    """Who the tip is about when it is not a listed agency: a made-up online shop."""
    if agency:
        return {"operator_name": None, "operator_contact": None, "operator_division_code": None}
    code = None if rng.random() < 0.5 else divisions.city_of(rng.choice(bureaus).code)
    if code and db.session.get(Division, code) is None:
        code = None
    return {"operator_name": f"演示知识产权咨询工作室{i + 1:03d}",
            "operator_contact": f"https://shop{i + 1:03d}.example.invalid/",
            "operator_division_code": code}


def clear_demo_tips() -> int:
    """Delete every demo tip with its events and attachments (flushes).  Returns how many."""
    from sqlalchemy import delete, select, update

    from .models import Attachment, TipEvent

    demo_ids = select(Tip.id).where(Tip.is_demo.is_(True))
    count = db.session.scalar(select(db.func.count()).select_from(Tip).where(Tip.is_demo.is_(True)))
    db.session.execute(update(Tip).where(Tip.duplicate_of_id.in_(demo_ids)).values(duplicate_of_id=None))
    db.session.execute(update(Tip).where(Tip.likely_duplicate_of_id.in_(demo_ids))
                       .values(likely_duplicate_of_id=None))
    db.session.execute(delete(Attachment).where(Attachment.tip_id.in_(demo_ids)))
    db.session.execute(delete(TipEvent).where(TipEvent.tip_id.in_(demo_ids)))
    db.session.execute(delete(Tip).where(Tip.is_demo.is_(True)))
    db.session.flush()
    return count or 0


def _step(moment: dt.datetime, rng: random.Random, lo: int = 1, hi: int = 6) -> dt.datetime:
    nxt = moment + dt.timedelta(days=rng.randint(lo, hi), hours=rng.randint(1, 8))
    return min(nxt, utcnow())


HANDLERS = ("staff", "lead", "admin")
REPLIES = {
    "substantiated": "经核查，举报反映的问题基本属实，已依法立案处理。",
    "not_substantiated": "经核查，未发现举报反映的违法行为。感谢您的监督。",
    "referred": "经核查，该事项属于其他机关职责，已移送有关机关处理。",
}


def _advance(tip: Tip, rng: random.Random, start: dt.datetime, bureaus: list[Bureau]) -> None:
    """Walk the tip through a random plausible path with the workflow functions."""
    fate = rng.random()
    if utcnow() - start > dt.timedelta(days=90) and rng.random() < 0.99:
        fate = 0.65 + fate * 0.35  # old tips are concluded, but for a few stragglers
    if fate < 0.2:
        return  # stays received (old ones become overdue)
    moment = start
    if fate < 0.3:  # transferred to another bureau, perhaps still waiting there
        moment = _transfer(tip, rng, moment, bureaus)
        if rng.random() < 0.5:
            return
    staff = _actor(tip.bureau_id, HANDLERS)
    moment = _step(moment, rng)
    with workflow.at(moment):
        workflow.accept(tip, staff)
        workflow.add_note(tip, staff, "已登记，安排核查。")
    if fate < 0.45:
        return  # accepted, being verified
    if fate < 0.55:
        moment = _ask_reporter(tip, rng, moment, staff)
        if moment is None:
            return  # awaiting the reporter
    moment = _extend_or_supervise(tip, rng, moment, staff)
    if fate >= 0.65:
        _conclude(tip, rng, moment, staff)


def _transfer(tip: Tip, rng: random.Random, moment: dt.datetime,
              bureaus: list[Bureau]) -> dt.datetime:
    target = rng.choice(workflow.transfer_targets(tip, None))
    moment = _step(moment, rng)
    with workflow.at(moment):
        workflow.transfer(tip, _actor(tip.bureau_id, HANDLERS), target,
                          "经核查，违法行为发生地不在本辖区，移送有管辖权的部门。")
    return moment


def _ask_reporter(tip: Tip, rng: random.Random, moment: dt.datetime,
                  staff: StaffUser | None) -> dt.datetime | None:
    """Ask the reporter for more; returns None while the reporter has not replied."""
    moment = _step(moment, rng)
    with workflow.at(moment):
        workflow.request_info(tip, staff, "请提供对方收款记录或聊天记录截图。")
    if rng.random() < 0.5:
        return None
    moment = _step(moment, rng)
    with workflow.at(moment):
        workflow.reporter_reply(tip, "已补充付款记录截图，另附对方宣传页面的网址。", [])
    return moment


def _extend_or_supervise(tip: Tip, rng: random.Random, moment: dt.datetime,
                         staff: StaffUser | None) -> dt.datetime:
    """Sometimes the deadline is extended, sometimes an admin urges the bureau on."""
    if rng.random() < 0.15:
        moment = _step(moment, rng)
        with workflow.at(moment):
            workflow.extend_deadline(tip, staff, "需要向平台调取资料，核查期限延长。")
    if rng.random() < 0.1 and tip.status in ("accepted", "awaiting_info"):
        with workflow.at(moment):
            workflow.supervise(tip, _supervisor(tip), "请加快核查进度，按期办结。")
    return moment


def _supervisor(tip: Tip) -> StaffUser | None:
    """An admin of the tip's bureau, else of its province's bureau."""
    admin = _actor(tip.bureau_id, ("admin",))
    if admin is not None:
        return admin
    province = db.session.scalar(db.select(Bureau).where(
        Bureau.code == divisions.province_of(tip.bureau.code)))
    return _actor(province.id, ("admin",)) if province is not None else None


def _offender_ids_limit() -> int:
    """The highest agency id among the repeat offenders (the first agencies by id)."""
    ids = db.session.scalars(db.select(Agency.id).order_by(Agency.id).limit(REPEAT_OFFENDERS))
    return max(ids, default=0)


def _conclude(tip: Tip, rng: random.Random, moment: dt.datetime,
              staff: StaffUser | None) -> None:
    outcomes = ["substantiated", "not_substantiated", "referred", "not_substantiated"]
    if tip.agency_id is not None and tip.agency_id <= _offender_ids_limit():
        outcomes = ["substantiated", "substantiated", "not_substantiated"]
    outcome = rng.choice(outcomes)
    moment = _step(moment, rng)
    with workflow.at(moment):
        workflow.conclude(tip, staff, outcome, REPLIES[outcome])
    if tip.status == "pending_approval" and rng.random() < 0.6:
        moment = _step(moment, rng)
        with workflow.at(moment):
            workflow.approve_conclusion(tip, _actor(tip.bureau_id, ("lead", "admin")))
