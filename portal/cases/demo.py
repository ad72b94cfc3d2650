"""Synthetic typical cases for `portal demo` (issue 14): eight short articles about the
typical violations the seeds name, each linked to one to three demo penalties and their
agencies.  Deterministic (seeded); no real person or agency is named; rows are ``is_demo``."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import delete, select

from ..extensions import db
from ..register import kinds
from ..register.models import Agency, Bureau, Penalty
from ..timeutil import utcnow
from .links import AGENCY
from .models import ASSOCIATION, BUREAU, PUBLISHED, CaseEvent, CaseLink, CaseTag, TypicalCase

ASSOCIATION_NAME = "专利代理行业协会"

# (violation type of the penalties to link, tags, title, summary, facts, outcome, lesson)
CASES = (
    ("代理非正常专利申请", ("代理非正常专利申请",),
     "代理机构批量代理非正常专利申请被警告并罚款",
     "一家代理机构在一年内代理数百件内容雷同、明显不以保护创新为目的的专利申请，被依法警告并处罚款。",
     "经查，当事人为多家客户批量撰写并提交技术方案相互拼凑、内容高度相似的实用新型专利申请，"
     "部分申请的发明人与申请人之间没有任何研发关系。",
     "市场监督管理部门依据《专利代理条例》第二十五条，对当事人给予警告并处罚款，责令改正。",
     "代理非正常专利申请扰乱专利审查秩序。委托人应选择依法执业的代理机构，警惕“保授权”“包下证”的承诺。"),
    ("无资质专利代理", ("无资质专利代理",),
     "无资质经营者以“知识产权咨询”名义代理专利申请",
     "一家未取得专利代理机构执业许可证的咨询公司，以咨询服务名义招揽并代理专利申请业务，被依法查处。",
     "经查，当事人未取得执业许可，通过网络平台招揽客户，分环节代理专利申请，并借用其他机构名义提交。",
     "市场监督管理部门责令当事人停止违法行为，没收违法所得并处罚款。",
     "办理专利事务前，可在本平台按名称或统一社会信用代码查询代理机构是否持有执业许可。"),
    ("代理非正常专利申请", ("代理非正常专利申请", "其他"),
     "为客户安排专利发明人“挂名”的违法行为被查处",
     "一家代理机构为满足客户评审需要，在专利申请中为未参与研发的人员“挂名”发明人，被依法处理。",
     "经查，当事人在代理过程中应客户要求，将未对发明创造作出创造性贡献的人员列为发明人，涉及多件申请。",
     "市场监督管理部门对当事人给予警告，并将有关情况通报专利代理行业协会。",
     "发明人应当是对发明创造的实质性特点作出创造性贡献的人。“挂名”发明人违反诚实信用原则。"),
    ("虚假宣传", ("虚假宣传",),
     "声称拥有“内部快速授权渠道”的虚假宣传案",
     "一家代理机构在宣传材料中声称可通过“内部渠道”保证快速授权，构成虚假宣传，被依法罚款。",
     "经查，当事人在网站和宣传单页上使用“内部快速授权渠道”“百分之百授权”等用语，均无事实依据。",
     "市场监督管理部门依据《反不正当竞争法》，责令当事人停止违法行为并处罚款。",
     "专利审查不存在“内部渠道”。对承诺保证授权的宣传，委托人应提高警惕并可依法举报。"),
    ("以不正当手段招揽业务", ("以不正当手段招揽业务",),
     "冒用官方名义投放搜索引擎广告招揽业务",
     "一家代理机构在搜索引擎广告中使用易与官方机构混淆的名称和标识招揽专利业务，被依法查处。",
     "经查，当事人投放的广告标题含有与知识产权管理部门相近的名称，引导用户误以为其为官方办理渠道。",
     "市场监督管理部门责令当事人撤下广告，给予警告并处罚款。",
     "办理专利申请可通过官方渠道自行办理，也可委托依法设立的代理机构。请注意辨别广告中的官方名义。"),
    ("代理师未落实签名责任制", ("代理师未落实签名责任制",),
     "代理机构未落实专利代理师签名责任制被责令改正",
     "专项检查发现，一家代理机构提交的多件专利申请文件未由实际承办的专利代理师签名。",
     "经查，当事人内部管理混乱，申请文件由未取得资格的人员撰写，并由未参与承办的代理师统一署名。",
     "市场监督管理部门对当事人给予警告，责令限期改正。",
     "签名责任制要求承办的专利代理师对申请文件负责。委托人可向代理机构了解承办代理师的情况。"),
    ("未以机构名义提交申请", ("未以机构名义提交申请",),
     "专利代理师未以机构名义承接业务的违法行为",
     "一名专利代理师私自承接专利代理业务，未以所在代理机构的名义接受委托、提交申请，所在机构被责令整改。",
     "经查，相关代理师以个人名义向委托人收费并提交申请，所在机构对此疏于管理。",
     "市场监督管理部门对代理机构给予警告，责令其加强对代理师执业活动的管理。",
     "专利代理业务应由代理机构统一接受委托。委托时应与代理机构签订书面委托合同。"),
    ("商标代理违法", ("商标代理违法",),
     "代理恶意抢注、囤积商标申请的代理机构被查处",
     "一家代理机构明知委托人不以使用为目的大量申请注册商标，仍为其代理，被依法处罚。",
     "经查，委托人在短期内申请注册商标数百件，部分与他人在先使用的知名商标近似，当事人仍接受委托。",
     "市场监督管理部门依据《商标法》及相关规定，对当事人给予警告并处罚款。",
     "代理机构知道或应当知道委托人恶意注册商标的，不得接受委托。"),
)


def _body(facts: str, outcome: str, lesson: str) -> str:
    return (f"## 基本案情\n\n{facts}\n\n## 处理结果\n\n{outcome}\n\n"
            f"## 典型意义\n\n{lesson}\n\n*本案例为演示数据，当事人和案情均为虚构。*\n")


def clear_demo_cases() -> None:
    """Delete the demo cases with their tags, links and history, and the links of other
    cases to demo agencies and records (their ids may be given to new rows)."""
    demo = select(TypicalCase.id).where(TypicalCase.is_demo.is_(True))
    for model in (CaseEvent, CaseTag, CaseLink):
        db.session.execute(delete(model).where(model.case_id.in_(demo)))
    db.session.execute(delete(TypicalCase).where(TypicalCase.is_demo.is_(True)))
    for kind, model in ((AGENCY, Agency), *((k.key, k.model) for k in kinds.KINDS)):
        db.session.execute(delete(CaseLink).where(
            CaseLink.kind == kind, CaseLink.record_id.in_(
                select(model.id).where(model.is_demo.is_(True)))))


def _penalties(violation: str, rng: random.Random, anchor: dt.date) -> list[Penalty]:
    """One to three demo penalties of ``violation`` (else of any type) of registered
    agencies, public on ``anchor``."""
    base = (select(Penalty).where(Penalty.is_demo.is_(True), Penalty.agency_id.is_not(None),
                                  Penalty.public_filter(anchor))
            .order_by(Penalty.id).limit(40))
    found = list(db.session.scalars(base.where(Penalty.violation_type == violation)))
    found = found or list(db.session.scalars(base))
    return rng.sample(found, min(len(found), rng.randint(1, 3)))


def build_demo_cases(*, seed: int, anchor: dt.date) -> int:
    """The demo cases (after the records); returns how many."""
    rng = random.Random(seed + 14)
    fallback = db.session.scalar(select(Bureau).order_by(Bureau.code))
    made = 0
    for n, (violation, tags, title, summary, facts, outcome, lesson) in enumerate(CASES):
        penalties = _penalties(violation, rng, anchor)
        if not penalties:
            continue
        bureau = penalties[0].bureau or penalties[0].agency.bureau or fallback
        association = n == 2  # the association publishes one of them
        latest = max(p.published_on for p in penalties)
        published_on = min(anchor, latest + dt.timedelta(days=rng.randint(5, 60)))
        case = TypicalCase(
            title=title, summary=summary, body=_body(facts, outcome, lesson),
            published_on=published_on, bureau=bureau,
            publisher_kind=ASSOCIATION if association else BUREAU,
            publisher_name=ASSOCIATION_NAME if association else bureau.name,
            status=PUBLISHED, status_changed_at=utcnow(), is_demo=True,
            tags=[CaseTag(tag=t) for t in tags])
        targets: list[tuple[str, int]] = []
        for p in penalties:
            targets += [("penalty", p.id), (AGENCY, p.agency_id)]
        case.links = [CaseLink(kind=k, record_id=i) for k, i in dict.fromkeys(targets)]
        db.session.add(case)
        db.session.flush()
        db.session.add_all([CaseEvent(case_id=case.id, action="created"),
                            CaseEvent(case_id=case.id, action="published",
                                      changes={"status": ["draft", PUBLISHED]})])
        made += 1
    db.session.flush()
    return made
