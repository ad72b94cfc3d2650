"""Deterministic synthetic demo data for the register (``portal demo``).

Everything is generated from ``random.Random(seed)``: the same seed (and the
same anchor date, by default today's China date) gives the same agencies and
records.  Names of agencies, places' street numbers and legal representatives
are made up from word lists; no real person or agency is named.

Rows are written with bulk INSERTs in chunks so that ``--agencies 100000`` runs
in a few minutes.  All rows are marked ``is_demo`` and are cleared when the
command runs again.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from stdnum.cn.uscc import calc_check_digit

from ..extensions import db
from ..timeutil import today as today_cn
from ..timeutil import utcnow
from . import divisions, vocab
from .cleaning import decision_key
from .derived import refresh_all
from .models import (
    Agency,
    AgencyFormerName,
    Bureau,
    CreditGrade,
    Division,
    ListEntry,
    Penalty,
    SiteMeta,
    SpotCheck,
)
from .publication import NOT_REPAIRABLE_KINDS, publication_end_for, repair_allowed_from

DEFAULT_SEED = 20261121
CHUNK = 5000
BLOCK = 5000  # agencies generated and written per round

# Served places: province code -> the cities whose districts get agencies, with weights.
REGIONS = {
    "140000": {"140100": 40, "140200": 6, "140300": 3, "140400": 6, "140500": 4, "140600": 2,
               "140700": 5, "140800": 5, "140900": 2, "141000": 5, "141100": 2},
    "310000": {"310000": 90},
    "410000": {"410700": 20},
}
# Name prefix (place) for agencies registered in each city.
CITY_PREFIX = {
    "140100": "太原", "140200": "大同", "140300": "阳泉", "140400": "长治", "140500": "晋城",
    "140600": "朔州", "140700": "晋中", "140800": "运城", "140900": "忻州", "141000": "临汾",
    "141100": "吕梁", "310000": "上海", "410700": "新乡",
}
# Short forms used in decision numbers (文号).
CITY_ABBR = {
    "140100": "并", "140200": "同", "140300": "阳", "140400": "长", "140500": "晋城",
    "140600": "朔", "140700": "晋中", "140800": "运", "140900": "忻", "141000": "临",
    "141100": "吕", "410700": "新",
}
PROVINCE_IP_ABBR = {"140000": "晋市监知罚", "310000": "沪知执罚", "410000": "豫市监知罚"}

TRADE_CHARS = (
    "汇智恒信华科正博创鼎盛达卓越联诚金桥鸿图睿知锦程高新天成瑞丰永安宏慧明德泰和晋龙海川嘉远"
    "弘凯佳立方宇鑫腾启航峰润泽通益合众致嘉grp"
)
TRADE_CHARS = "".join(ch for ch in TRADE_CHARS if "\u4e00" <= ch <= "\u9fff")
NAME_FORMS = (
    # (template, kind or None for random patent/both, weight)
    ("{p}{t}知识产权代理有限公司", None, 30),
    ("{p}{t}专利代理有限公司", "patent", 12),
    ("{p}{t}专利代理事务所（普通合伙）", "patent", 12),
    ("{p}{t}专利商标代理有限公司", "both", 10),
    ("{p}{t}商标代理有限公司", "trademark", 18),
    ("{p}{t}知识产权服务有限公司", "trademark", 8),
    ("{p}{t}知识产权代理事务所（特殊普通合伙）", None, 10),
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉晶欣宇浩凯健"
    "俊帆帅旭宁琳晨阳佳然一子梓睿思雨涵嘉宏志文博瑞家昊轩泽晓海婷倩颖慧建国云飞立新春"
    "丹"
)
ROADS = ("长风", "学府", "建设", "解放", "人民", "文化", "和平", "新华", "胜利", "五一", "体育",
         "平阳", "坞城", "晋阳", "府东", "迎宾", "朝阳", "康宁", "科技", "创业", "高新", "滨河",
         "龙城", "光明", "兴华", "振兴", "育才", "金融", "青年", "复兴")
ROAD_SUFFIX = ("路", "街", "大街", "大道", "北路", "南路")
BUILDINGS = ("科创大厦", "国际金融中心", "创新园", "商务大厦", "知识产权大厦", "软件园", "中心广场")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

SPOT_TASKS = (
    ("不定向抽查", "{y}年度专利代理机构“双随机、一公开”抽查"),
    ("定向抽查", "{y}年度商标代理机构“双随机、一公开”定向抽查"),
    ("专项检查", "{y}年“蓝天”专项整治行动专项检查"),
    ("日常检查", "{y}年知识产权代理行业日常监督检查"),
)
SPOT_REMARKS = {
    "发现问题经责令已改正": "检查发现{issue}，已责令当事人限期改正，当事人已按期整改完毕。",
    "发现问题待后续处理": "检查发现{issue}，已移交执法机构依法处理。",
    "不符合执业许可条件": "检查发现执业专利代理师人数不符合执业许可条件，已责令限期整改。",
    "代理师未落实签名责任制": "抽查的专利申请文件中有代理师未按规定签名，已责令改正。",
    "未以机构名义提交申请": "发现代理师以个人名义承接业务并提交申请，已立案调查。",
    "通过登记的住所(经营场所)无法联系": "检查人员多次实地核查，登记住所无法联系。",
}
ISSUES = ("委托合同内容不规范", "未按规定公示收费标准", "代理师执业信息未及时备案",
          "业务档案保存不完整", "对外宣传用语不规范")

PENALTY_TEMPLATES = {
    "代理非正常专利申请": {
        "facts": ("经查，当事人于{a}至{b}期间，代理提交非正常专利申请共计{n}件，涉及委托人{m}家，"
               "上述申请已被国家知识产权局认定为非正常专利申请。当事人未履行对委托事项的审查义务，"
               "疏于管理，造成严重后果。"),
        "violated": "《规范申请专利行为的规定》第三条和《专利代理条例》第二十五条第一款第（五）项",
        "basis": "依据《专利代理条例》第二十五条第一款、《规范申请专利行为的规定》第十二条",
        "kinds": (("警告", "罚款"), ("警告", "罚款", "责令停止承接新的专利代理业务"),
               ("警告",), ("通报批评",)),
        "ip": True},
    "无资质专利代理": {
        "facts": ("经查，当事人未取得专利代理机构执业许可证，"
               "自{a}起以“专利申请服务”名义对外承接专利代理业务，"
               "截至{b}共代理提交专利申请{n}件，收取服务费用合计人民币{income}元。"),
        "violated": "《专利代理条例》第九条",
        "basis": "依据《专利代理条例》第二十七条",
        "kinds": (("没收违法所得", "罚款"),),
        "ip": True},
    "出租、出借专利代理资质": {
        "facts": ("经查，当事人于{a}至{b}期间，允许他人以其名义承接专利代理业务，"
               "涉及专利申请{n}件，收取“挂靠费”人民币{income}元。"),
        "violated": "《专利代理条例》第二十五条第一款",
        "basis": "依据《专利代理条例》第二十五条第一款",
        "kinds": (("警告", "罚款", "责令停止承接新的专利代理业务"), ("吊销执业许可证",)),
        "ip": True},
    "商标代理违法": {
        "facts": ("经查，当事人于{a}至{b}期间，"
               "明知委托人申请注册的商标属于不以使用为目的的恶意商标注册申请，"
               "仍接受委托代理提交商标注册申请{n}件。"),
        "violated": "《商标法》第十九条第三款",
        "basis": "依据《商标法》第六十八条第一款、《商标代理监督管理规定》第三十九条",
        "kinds": (("警告", "罚款"), ("罚款",), ("通报批评",)),
        "ip": False},
    "以不正当手段招揽业务": {
        "facts": ("经查，当事人于{a}至{b}期间，在互联网搜索引擎投放广告，冒用官方名义，"
               "使用“官方指定”“内部快速授权渠道”"
               "等用语招揽专利、商标代理业务，共获得委托{n}件。"),
        "violated": "《专利代理条例》第二十三条和《商标代理监督管理规定》第十四条",
        "basis": "依据《专利代理条例》第二十五条第一款、《商标代理监督管理规定》第三十九条",
        "kinds": (("警告", "罚款"), ("罚款",)),
        "ip": False},
    "虚假宣传": {
        "facts": ("经查，当事人在其网站及宣传资料中宣称“授权率百分之百”“不授权全额退款”等，"
               "与实际情况不符，{a}至{b}期间据此签订代理合同{n}份。"),
        "violated": "《中华人民共和国反不正当竞争法》第八条第一款",
        "basis": "依据《中华人民共和国反不正当竞争法》第二十条第一款",
        "kinds": (("罚款",), ("警告", "罚款")),
        "ip": False},
    "代理师未落实签名责任制": {
        "facts": ("经查，当事人于{a}至{b}期间代理提交的专利申请中，"
               "有{n}件申请文件未由承办的专利代理师签名，"
               "当事人未建立并落实代理师签名责任制。"),
        "violated": "《专利代理管理办法》第二十条",
        "basis": "依据《专利代理条例》第二十五条第一款",
        "kinds": (("警告",), ("警告", "罚款"), ("通报批评",)),
        "ip": True},
}
UNREGISTERED_NAMES = ("{p}{t}信息咨询有限公司", "{p}{t}企业管理咨询有限公司",
                      "{p}{t}科技服务有限公司", "{p}{t}文化传媒有限公司")
UNLICENSED = "无资质专利代理"  # the violation of unregistered operators
TRADEMARK_VIOLATIONS = ("商标代理违法", "以不正当手段招揽业务", "虚假宣传")

PROVINCE_WEIGHTS = {"140000": 45, "310000": 45, "410000": 10}
SHANGHAI = "310000"  # a municipality: its districts hang directly under the province
PROVINCE_ABBR = {"140000": "晋", "410000": "豫"}
AGENCY_STATUS_WEIGHTS = {"practising": 88, "suspended": 4, "deregistered": 5, "revoked": 3}
SPOT_CHECK_COUNT_WEIGHTS = {0: 3, 1: 8, 2: 14, 3: 18, 4: 19, 5: 16, 6: 12, 7: 8}
SPOT_RESULT_WEIGHTS = {"未发现问题": 62, "发现问题经责令已改正": 12, "发现问题待后续处理": 4,
                       "未发现开展本次抽查涉及的经营活动": 5, "通过登记的住所(经营场所)无法联系": 4,
                       "不符合执业许可条件": 3, "代理师未落实签名责任制": 4,
                       "未以机构名义提交申请": 2, "未按规定公示应当公示的信息": 3,
                       "已关闭停业或正在清算": 1}
GRADE_WEIGHTS = {"A+": 8, "A": 45, "B": 30, "C": 12, "D": 5}
GRADE_REASONS = (
    ("未按时报送年度报告，扣 5 分", "代理师未落实签名责任制，扣 10 分",
     "受到警告处罚，扣 15 分"),
    ("代理非正常专利申请被通报，扣 10 分", "未在责令期限内改正，扣 5 分",
     "受到罚款处罚，扣 20 分"),
    ("经营场所无法联系，扣 5 分", "执业代理师人数不符合要求，扣 10 分",
     "被列入经营异常名录，扣 15 分"),
)
GRADE_SCORES = {"A+": (95, 100), "A": (90, 100), "B": (75, 89.9), "C": (60, 74.9), "D": (30, 59.9)}
ANNUAL_REPORT_MISSING = "未按规定报送年度报告"
UNREACHABLE = "通过登记的住所或经营场所无法联系"
# Reasons for the abnormal list (weights), each with the reason it is lifted.
LISTING_REASON_WEIGHTS = {ANNUAL_REPORT_MISSING: 80, UNREACHABLE: 12,
                          "公示信息隐瞒真实情况、弄虚作假": 4, "未在责令期限内公示有关信息": 4}
LISTING_REMOVALS = {ANNUAL_REPORT_MISSING: "已补报年度报告", UNREACHABLE: "已重新取得联系",
                    "公示信息隐瞒真实情况、弄虚作假": "已更正公示信息",
                    "未在责令期限内公示有关信息": "已履行公示义务"}
CHINESE_NUMERALS = "一二三四五六"
TOTAL_KEYS = ("agencies", "former_names", "spot_checks", "credit_grades", "list_entries",
              "penalties")
RECORD_KEYS = ("spot_checks", "credit_grades", "list_entries", "penalties")
RECORD_MODELS = {"spot_checks": SpotCheck, "credit_grades": CreditGrade, "list_entries": ListEntry,
                 "penalties": Penalty}


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class _Gen:
    def __init__(self, seed: int, anchor: dt.date):
        self.r = random.Random(seed)
        self.anchor = anchor
        self.usccs: set[str] = set()
        self.names: set[str] = set()

    def weighted(self, mapping: dict):
        keys = list(mapping)
        return self.r.choices(keys, weights=[mapping[k] for k in keys])[0]

    def person(self) -> str:
        given = self.r.choice(GIVEN_CHARS)
        if self.r.random() < 0.7:
            given += self.r.choice(GIVEN_CHARS)
        return self.r.choice(SURNAMES) + given

    def trade_name(self) -> str:
        a, b = self.r.sample(TRADE_CHARS, 2)
        return a + b

    def uscc(self, division: str) -> str:
        while True:
            body = "91" + division + "MA" + "".join(self.r.choice(USCC_ALPHABET) for _ in range(7))
            code = body + calc_check_digit(body)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def unique_name(self, template: str, prefix: str) -> str:
        for _attempt in range(50):
            name = template.format(p=prefix, t=self.trade_name())
            if name not in self.names:
                self.names.add(name)
                return name
        name = template.format(p=prefix, t=self.trade_name() + self.trade_name())
        while name in self.names:
            name = template.format(p=prefix, t=self.trade_name() + self.trade_name())
        self.names.add(name)
        return name

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.r.randrange((end - start).days + 1))

    def address(self, city_name: str, district_name: str) -> str:
        road = self.r.choice(ROADS) + self.r.choice(ROAD_SUFFIX)
        number = self.r.randint(1, 999)
        where = f"{city_name}{district_name}{road}{number}号"
        if self.r.random() < 0.6:
            building = self.r.choice(BUILDINGS)
            where += f"{building}{self.r.randint(2, 28)}层{self.r.randint(1, 30):02d}室"
        return where



def _served_districts() -> dict[str, list[Division]]:
    """City code -> districts (divisions) where demo agencies are registered."""
    out = {}
    for cities in REGIONS.values():
        for city in cities:
            out[city] = list(db.session.scalars(
                select(Division).where(Division.parent_code == city, Division.retired.is_(False))
                .order_by(Division.code)))
    return out


def has_real_agencies() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Agency)
                                  .where(Agency.is_demo.is_(False))))


def clear_demo() -> None:
    """Delete every demo row of the register (agencies, former names, records)."""
    from intake.demo import clear_demo_tips

    clear_demo_tips()  # tips reference agencies and penalties: they go first
    # issue 14 — credit repair applications (credit-repair feature clears its demo rows here)
    from ..repair.demo import clear_demo_applications

    clear_demo_applications()
    # issue 14 — typical cases (typical-cases feature clears its demo rows here)
    from ..cases.demo import clear_demo_cases

    clear_demo_cases()
    # issue 14 — association measures (association feature clears its demo rows here)
    from ..association.demo import clear_demo_measures

    clear_demo_measures()  # before the agents and agencies they name
    # issue 14 — agents (agents feature clears its demo rows here; penalties first)
    from .demo_agents import clear_demo_agents

    clear_demo_agents()
    demo_ids = select(Agency.id).where(Agency.is_demo.is_(True))
    for model in (SpotCheck, CreditGrade, ListEntry, Penalty):
        db.session.execute(delete(model).where(model.is_demo.is_(True)))
        db.session.execute(delete(model).where(model.agency_id.in_(demo_ids)))
    db.session.execute(delete(AgencyFormerName).where(AgencyFormerName.agency_id.in_(demo_ids)))
    db.session.execute(delete(Agency).where(Agency.is_demo.is_(True)))
    db.session.flush()


def purge_demo() -> dict[str, int]:
    """Remove the demo data, the demo tips and the demo staff accounts, and the demo-site
    banner: what a database built by `portal demo` needs before production.  Flushes."""
    from ..auth.demo import purge_demo_staff
    from ..site import DEMO_KEY

    agencies = db.session.scalar(select(func.count()).select_from(Agency)
                                 .where(Agency.is_demo.is_(True)))
    clear_demo()
    accounts = purge_demo_staff()
    db.session.execute(delete(SiteMeta).where(SiteMeta.key == DEMO_KEY))
    db.session.flush()
    return {"agencies": agencies or 0, "staff_accounts": accounts}


def _insert(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[i:i + CHUNK])


def build_demo(*, agencies: int = 1000, seed: int = DEFAULT_SEED,
               anchor: dt.date | None = None) -> dict:
    """Replace the demo data with ``agencies`` synthetic agencies and their records.

    Returns counts per table.  The caller commits.  Raises RuntimeError when the
    database holds agencies that are not demo data.
    """
    from intake.demo import build_demo_tips

    from ..auth.demo import build_demo_staff

    _prepare_database()
    builder = _DemoBuilder(seed, anchor or today_cn())
    totals = dict.fromkeys(TOTAL_KEYS, 0)
    for block_start in range(0, agencies, BLOCK):
        counts = builder.build_block(min(BLOCK, agencies - block_start), first=block_start == 0)
        for key, count in counts.items():
            totals[key] += count
    totals["penalties"] += builder.build_unregistered_penalties(max(1, agencies // 20))
    # issue 14 — agents and penalties against agents (agents feature adds its call here)
    from .demo_agents import build_demo_agents

    agent_counts = build_demo_agents(builder, seed=seed)
    totals["agents"] = agent_counts["agents"]
    totals["agent_practices"] = agent_counts["agent_practices"]
    totals["penalties"] += agent_counts["agent_penalties"]
    # issue 14 — association measures (association feature adds its call here)
    from ..association.demo import build_demo_measures

    totals["association_measures"] = build_demo_measures(seed=seed, anchor=builder.anchor)
    # issue 14 — typical cases (typical-cases feature adds its call here)
    from ..cases.demo import build_demo_cases

    totals["typical_cases"] = build_demo_cases(seed=seed, anchor=builder.anchor)
    # Staff accounts and tips, in the same transaction (tips need the staff as actors).
    totals["staff_accounts"] = len(build_demo_staff())
    totals["tips"] = build_demo_tips(seed=seed)
    _mark_site_as_demo()
    # the agencies' stored grades and listing flags (the records went in as bulk inserts)
    refresh_all()
    totals["records"] = sum(totals[k] for k in RECORD_KEYS)
    return totals


def _prepare_database() -> None:
    """Refuse real data, load the reference data if missing, and clear earlier demo data."""
    from .reference import load_bureaus, load_divisions

    if has_real_agencies():
        raise RuntimeError("database holds non-demo agencies")
    if db.session.get(Division, "140105") is None:
        load_divisions()
    if db.session.scalar(select(func.count()).select_from(Bureau)) == 0:
        load_bureaus()
    clear_demo()


def _mark_site_as_demo() -> None:
    from ..site import DEMO_KEY

    meta_row = db.session.get(SiteMeta, DEMO_KEY)
    if meta_row is None:
        db.session.add(SiteMeta(key=DEMO_KEY, value="1"))
    else:
        meta_row.value = "1"
    db.session.flush()


@dataclass
class _DemoAgency:
    """An agency row being generated, with the bureaus and dates its records need."""

    row: dict
    province: str
    city: str
    bureau: Bureau  # the bureau that registered it (covering its district)
    city_bureau: Bureau
    province_bureau: Bureau
    start: dt.date  # records begin at the later of its establishment and the demo's first year
    former: list[tuple[str, dt.date]]


@dataclass
class _Sanction:
    """The amounts of a penalty decision."""

    income: int
    fine: Decimal | None = None
    confiscation: Decimal | None = None
    months: int | None = None


class _DemoBuilder:
    """Generates the demo rows from one random stream; the order of draws is the data."""

    def __init__(self, seed: int, anchor: dt.date):
        self.gen = _Gen(seed, anchor)
        self.r = self.gen.r
        self.anchor = anchor
        self.first_year = anchor.year - 4
        self.now = utcnow()
        self.bureaus = {b.code: b for b in db.session.scalars(select(Bureau))}
        self.active_bureaus = {code: b for code, b in self.bureaus.items() if b.active}
        self.divisions = {d.code: d for d in db.session.scalars(select(Division))}
        self.districts = _served_districts()
        self.licence_seq: dict[str, int] = {}
        self.decision_seq: dict[tuple[str, int], int] = {}

    # -- places and bureaus ----------------------------------------------------

    def bureau_for(self, code: str) -> Bureau:
        bureau = divisions.covering_bureau(code, self.active_bureaus)
        if bureau is None:
            raise RuntimeError(f"no bureau for {code}")
        return bureau

    def pick_place(self) -> tuple[str, str, Division]:
        """A province, one of its served cities and a district, by the demo's weights."""
        province = self.gen.weighted(PROVINCE_WEIGHTS)
        city = self.gen.weighted(REGIONS[province])
        return province, city, self.r.choice(self.districts[city])

    def city_name(self, city: str) -> str:
        return "上海市" if city == SHANGHAI else self.divisions[city].name

    def next_decision_number(self, key: str, year: int, step: int = 1) -> int:
        self.decision_seq[(key, year)] = self.decision_seq.get((key, year), 0) + step
        return self.decision_seq[(key, year)]

    # -- one block of agencies with their records -------------------------------

    def build_block(self, size: int, *, first: bool) -> dict[str, int]:
        """Generate and insert ``size`` agencies and their records; returns counts per table."""
        max_id = db.session.scalar(select(func.max(Agency.id))) or 0
        agencies = [self.agency() for _i in range(size)]
        _insert(Agency, [a.row for a in agencies])
        former_rows = _assign_ids(agencies, max_id)
        _insert(AgencyFormerName, former_rows)
        records: dict[str, list[dict]] = {key: [] for key in RECORD_KEYS}
        for agency in agencies:
            records["spot_checks"] += self.spot_checks(agency)
            records["credit_grades"] += self.credit_grades(agency)
            records["list_entries"] += self.list_entries(agency)
            records["penalties"] += self.penalties(agency)
        if first:
            self.schedule_a_few(records["spot_checks"], "completed_on")
            self.schedule_a_few(records["penalties"], "decided_on")
        for key in RECORD_KEYS:
            _insert(RECORD_MODELS[key], records[key])
        return {"agencies": len(agencies), "former_names": len(former_rows),
                **{key: len(rows) for key, rows in records.items()}}

    def agency(self) -> _DemoAgency:
        gen, r = self.gen, self.r
        province, city, district = self.pick_place()
        prefix = CITY_PREFIX[city]
        template, kind = r.choices([(t, k) for t, k, _w in NAME_FORMS],
                                   weights=[w for *_x, w in NAME_FORMS])[0]
        kind = kind or r.choice(("patent", "both"))
        name = gen.unique_name(template, prefix)
        status = gen.weighted(AGENCY_STATUS_WEIGHTS)
        established = gen.date_between(dt.date(1995, 1, 1), self.anchor - dt.timedelta(days=200))
        licence = self.licence_number(province, kind)
        agents = r.randint(0, 6) if kind == "trademark" else min(
            1 + int(r.expovariate(1 / 6)), 120)
        branches = self.branches(name, city, agents)
        bureau = self.bureau_for(district.code)
        row = {
            "uscc": gen.uscc(district.code), "name": name, "licence_no": licence, "kind": kind,
            "status": status, "address": gen.address(self.city_name(city), district.name),
            "division_code": district.code, "legal_rep": gen.person(), "agent_count": agents,
            "established_on": established, "branches": branches, "bureau_id": bureau.id,
            "is_demo": True, "created_at": self.now, "updated_at": self.now,
        }
        city_bureau = (bureau if province == SHANGHAI
                       else self.bureau_for(divisions.city_of(district.code)))
        return _DemoAgency(
            row=row, province=province, city=city, bureau=bureau, city_bureau=city_bureau,
            province_bureau=self.bureaus[province],
            start=max(established, dt.date(self.first_year, 1, 1)),
            former=self.former_names(prefix, established))

    def licence_number(self, province: str, kind: str) -> str | None:
        """Patent agencies hold a licence numbered per province (14001, 14002, …)."""
        if kind not in ("patent", "both"):
            return None
        self.licence_seq[province] = self.licence_seq.get(province, 0) + 1
        return f"{divisions.province_digits(province)}{self.licence_seq[province]:03d}"

    def branches(self, name: str, city: str, agents: int) -> str | None:
        if not (agents > 15 and self.r.random() < 0.3):
            return None
        return "\n".join(f"{name.split('有限公司')[0]}{CITY_PREFIX[c]}分公司"
                         for c in self.r.sample(sorted(CITY_PREFIX), 2) if c != city)

    def former_names(self, prefix: str, established: dt.date) -> list[tuple[str, dt.date]]:
        if self.r.random() >= 0.10:
            return []
        former = []
        for _k in range(1 if self.r.random() < 0.8 else 2):
            old_template = self.r.choice([t for t, _k2, _w in NAME_FORMS])
            former.append((self.gen.unique_name(old_template, prefix),
                           self.gen.date_between(established, self.anchor - dt.timedelta(days=30))))
        return former

    def record(self, bureau: Bureau, published: dt.date) -> dict:
        """The columns every published demo record shares."""
        return {"authority": bureau.name, "published_on": published, "publication_ends_on": None,
                "status": "published", "status_reason": None, "status_changed_at": None,
                "created_at": self.now, "updated_at": self.now, "bureau_id": bureau.id,
                "is_demo": True, "created_by_id": None, "updated_by_id": None,
                "status_changed_by_id": None}

    # -- spot checks ------------------------------------------------------------

    def spot_checks(self, agency: _DemoAgency) -> list[dict]:
        """A few inspection tasks over the years, each task once per agency."""
        r = self.r
        rows, used_tasks = [], set()
        for _k in range(self.gen.weighted(SPOT_CHECK_COUNT_WEIGHTS)):
            year = r.randint(agency.start.year, self.anchor.year)
            task = r.randrange(len(SPOT_TASKS))
            round_no = r.randint(1, 2)
            bureau = agency.city_bureau if r.random() < 0.7 else agency.province_bureau
            task_number = f"{bureau.code}{year}{task + 1:02d}{round_no:03d}"
            if task_number in used_tasks:
                continue
            used_tasks.add(task_number)
            rows.append(self.spot_check(agency, bureau, year, task, task_number))
        return rows

    def spot_check(self, agency: _DemoAgency, bureau: Bureau, year: int, task: int,
                   task_number: str) -> dict:
        r = self.r
        completed = self.gen.date_between(dt.date(year, 3, 1),
                                          min(dt.date(year, 12, 20), self.anchor))
        result = self.gen.weighted(SPOT_RESULT_WEIGHTS)
        remarks = SPOT_REMARKS.get(result)
        if remarks:
            remarks = remarks.format(issue=r.choice(ISSUES))
        published = min(completed + dt.timedelta(days=r.randint(3, 20)), self.anchor)
        row = self.record(bureau, published)
        check_type, task_name = SPOT_TASKS[task]
        row.update(agency_id=agency.row["id"], task_number=task_number,
                   task_name=task_name.format(y=year), check_type=check_type,
                   completed_on=completed, result=result, remarks=remarks)
        if r.random() < 0.006:
            row.update(status="withdrawn", status_reason="检查结果录入有误，已撤回更正",
                       status_changed_at=self.now)
        return row

    # -- credit grades ----------------------------------------------------------

    def credit_grades(self, agency: _DemoAgency) -> list[dict]:
        """Yearly grades of patent agencies (and some trademark agencies in the 2025 pilot)."""
        if agency.row["status"] not in ("practising", "suspended"):
            return []
        rows = []
        for period in range(self.anchor.year - 3, self.anchor.year):
            evaluated = dt.date(period + 1, 6, 1) + dt.timedelta(days=self.r.randint(0, 45))
            if evaluated > self.anchor or period < agency.row["established_on"].year:
                continue
            if self.is_graded(agency.row["kind"], period):
                rows.append(self.credit_grade(agency, period, evaluated))
        return rows

    def is_graded(self, kind: str, period: int) -> bool:
        if kind == "trademark":
            return period >= 2025 and self.r.random() >= 0.5
        return self.r.random() >= 0.1

    def credit_grade(self, agency: _DemoAgency, period: int, evaluated: dt.date) -> dict:
        grade = self.gen.weighted(GRADE_WEIGHTS)
        score = Decimal(str(round(self.r.uniform(*GRADE_SCORES[grade]), 1)))
        published = min(evaluated + dt.timedelta(days=self.r.randint(5, 20)), self.anchor)
        row = self.record(agency.province_bureau, published)
        row.update(agency_id=agency.row["id"], period=str(period), grade=grade, score=score,
                   evaluated_on=evaluated, reasons=self.grade_reasons(agency, period, grade))
        return row

    @staticmethod
    def grade_reasons(agency: _DemoAgency, period: int, grade: str) -> str | None:
        """The published deductions of a grade below A (chosen without drawing from the
        generator, so the rest of the demo data stays as it was)."""
        if grade in ("A+", "A"):
            return None
        picks = GRADE_REASONS[(agency.row["id"] + period) % len(GRADE_REASONS)]
        return "；".join(picks[: {"B": 1, "C": 2, "D": 3}[grade]]) + "。"

    # -- list entries -----------------------------------------------------------

    def list_entries(self, agency: _DemoAgency) -> list[dict]:
        """Missing the annual report puts an agency on the abnormal list on 1 April."""
        rows = []
        for year in range(agency.start.year + 1, self.anchor.year + 1):
            if self.r.random() >= 0.09 or dt.date(year, 4, 1) > self.anchor:
                continue
            rows += self.abnormal_listing(agency, year)
        return rows

    def abnormal_listing(self, agency: _DemoAgency, year: int) -> list[dict]:
        """An abnormal-list entry, perhaps lifted, perhaps moved on to the serious list."""
        bureau = agency.city_bureau
        included = dt.date(year, 4, 1)
        reason = self.gen.weighted(LISTING_REASON_WEIGHTS)
        if reason != ANNUAL_REPORT_MISSING:
            included = self.gen.date_between(dt.date(year, 1, 10),
                                             min(dt.date(year, 12, 20), self.anchor))
        entry = self.record(bureau, included)
        seq = self.next_decision_number(bureau.code + "异", year)
        entry.update(agency_id=agency.row["id"], list_kind="abnormal", inclusion_reason=reason,
                     included_on=included, inclusion_authority=bureau.name,
                     inclusion_decision_number=f"{_abbr(bureau)}市监异列〔{year}〕{seq}号",
                     removal_reason=None, removed_on=None, removal_authority=None)
        if self.r.random() < 0.6:
            self.lift_listing(entry, reason, bureau)
        if (reason == UNREACHABLE and entry["removed_on"] is None and self.r.random() < 0.25
                and included + dt.timedelta(days=3 * 365) <= self.anchor):
            return [entry, self.serious_listing(agency, entry)]
        return [entry]

    def lift_listing(self, entry: dict, reason: str, bureau: Bureau) -> None:
        included = entry["included_on"]
        removed_on = self.gen.date_between(included + dt.timedelta(days=10),
                                           min(included + dt.timedelta(days=300), self.anchor))
        if included < removed_on <= self.anchor:
            entry.update(removal_reason=LISTING_REMOVALS[reason], removed_on=removed_on,
                         removal_authority=bureau.name)

    def serious_listing(self, agency: _DemoAgency, entry: dict) -> dict:
        """Three years on the abnormal list moves an agency to the serious list."""
        bureau = agency.province_bureau
        serious_on = entry["included_on"] + dt.timedelta(days=3 * 365 + 1)
        entry.update(removal_reason="列入满三年转入严重违法失信名单", removed_on=serious_on,
                     removal_authority=bureau.name)
        row = self.record(bureau, serious_on)
        row.update(agency_id=agency.row["id"], list_kind="serious",
                   inclusion_reason="列入经营异常名录届满三年仍未履行相关义务",
                   included_on=serious_on, inclusion_authority=bureau.name,
                   inclusion_decision_number=None, removal_reason=None, removed_on=None,
                   removal_authority=None)
        return row

    # -- penalties --------------------------------------------------------------

    def penalties(self, agency: _DemoAgency) -> list[dict]:
        if self.r.random() >= 0.22:
            return []
        return [self.penalty(agency.row, agency.province, agency.bureau)
                for _k in range(1 if self.r.random() < 0.75 else 2)]

    def build_unregistered_penalties(self, count: int) -> int:
        """Insert ``count`` penalties against operators outside the register; returns count."""
        rows = []
        for _k in range(count):
            province, city, district = self.pick_place()
            city_name = self.city_name(city)
            party = {
                "id": None, "uscc": self.gen.uscc(district.code),
                "name": self.gen.unique_name(self.r.choice(UNREGISTERED_NAMES), CITY_PREFIX[city]),
                "legal_rep": self.gen.person(),
                "address": self.gen.address(city_name, district.name),
                "division_code": district.code,
                "established_on": dt.date(self.first_year - 2, 1, 1), "kind": "patent",
            }
            rows.append(self.penalty(party, province, self.bureau_for(district.code),
                                     violation=UNLICENSED))
        _insert(Penalty, rows)
        return len(rows)

    def penalty(self, party: dict, province: str, bureau: Bureau,
                violation: str | None = None) -> dict:
        """A penalty decision against ``party`` (an agency row or an unregistered operator)."""
        r = self.r
        violation = violation or self.pick_violation(party["kind"])
        tpl = PENALTY_TEMPLATES[violation]
        if tpl["ip"]:  # decided by the province's IP office, else by the local bureau
            authority, prefix = self.bureaus[province], PROVINCE_IP_ABBR[province]
        else:
            authority, prefix = bureau, f"{_abbr(bureau)}市监罚"
        start = max(party["established_on"], dt.date(self.first_year, 1, 1))
        decided = self.gen.date_between(start + dt.timedelta(days=60),
                                        self.anchor - dt.timedelta(days=2))
        seq = self.next_decision_number(prefix, decided.year, step=r.randint(1, 3))
        number = f"{prefix}〔{decided.year}〕{seq}号"
        kinds = list(r.choice(tpl["kinds"]))
        sanction = self.sanction(violation, kinds)
        period_from = decided - dt.timedelta(days=r.randint(120, 700))
        period_to = decided - dt.timedelta(days=r.randint(30, 110))
        facts = tpl["facts"].format(a=_cn_date(period_from), b=_cn_date(period_to),
                                    n=r.randint(3, 400), m=r.randint(2, 60),
                                    income=sanction.income)
        full_text = _decision_text(authority, number, party, tpl, facts, kinds, sanction,
                                   opened=period_to + dt.timedelta(days=10), decided=decided)
        published = min(decided + dt.timedelta(days=r.randint(1, 20)), self.anchor)
        row = self.record(authority, published)
        row.update(
            decision_number=number, decision_key=decision_key(number),
            agency_id=party["id"], party_name=party["name"],
            party_uscc=party["uscc"], legal_rep=party["legal_rep"], violation_type=violation,
            facts=facts, legal_basis=f"{tpl['basis'].removeprefix('依据')}",
            penalty_kinds="、".join(k for k in vocab.PENALTY_KINDS if k in kinds),
            fine_amount=sanction.fine, confiscation_amount=sanction.confiscation,
            suspension_months=sanction.months, decided_on=decided, full_text=full_text,
        )
        row["publication_ends_on"] = publication_end_for(kinds, sanction.fine, sanction.months,
                                                         published)
        self.withdraw_or_repair(row, kinds)
        return row

    def pick_violation(self, agency_kind: str) -> str:
        if agency_kind == "trademark":
            return self.r.choice(TRADEMARK_VIOLATIONS)
        return self.r.choice([v for v in PENALTY_TEMPLATES if v != UNLICENSED])

    def sanction(self, violation: str, kinds: list[str]) -> _Sanction:
        r = self.r
        sanction = _Sanction(income=r.randint(8, 400) * 500)
        if "罚款" in kinds:
            if violation == UNLICENSED:
                sanction.fine = Decimal(sanction.income * r.randint(1, 5))
            elif "通报批评" not in kinds and r.random() < 0.35:
                sanction.fine = Decimal(r.randint(5, 20) * 500)
            else:
                sanction.fine = Decimal(r.randint(1, 20) * 5000)
        if "没收违法所得" in kinds:
            sanction.confiscation = Decimal(sanction.income)
        if "责令停止承接新的专利代理业务" in kinds:
            sanction.months = r.choice((6, 9, 12))
        return sanction

    def withdraw_or_repair(self, row: dict, kinds: list[str]) -> None:
        """A few decisions are withdrawn, some more have been repaired (credit restored)."""
        roll = self.r.random()
        if roll < 0.015:
            row.update(status="withdrawn", status_reason="原处罚决定经行政复议被撤销，依法撤回公示",
                       status_changed_at=self.now)
        elif roll < 0.10 and NOT_REPAIRABLE_KINDS.isdisjoint(kinds):
            allowed = repair_allowed_from(Penalty(published_on=row["published_on"]))
            if allowed <= self.anchor and row["publication_ends_on"] >= allowed:
                row.update(status="repaired",
                           status_reason="当事人已履行行政处罚义务并公开作出信用承诺，经申请予以信用修复",
                           status_changed_at=self.now)

    def schedule_a_few(self, rows: list[dict], date_key: str) -> None:
        """Publish a few recent records in the coming days (the scheduled-publication view)."""
        recent = [row for row in rows if row[date_key] >= self.anchor - dt.timedelta(days=20)
                  and row["status"] == "published"]
        for row in recent[:: max(1, len(recent) // 6)][:6]:
            row["published_on"] = self.anchor + dt.timedelta(days=self.r.randint(1, 10))
            if "decision_number" in row:
                row["publication_ends_on"] = publication_end_for(
                    row["penalty_kinds"].split("、"), row["fine_amount"],
                    row["suspension_months"], row["published_on"])


def _assign_ids(agencies: list[_DemoAgency], max_id: int) -> list[dict]:
    """Read back the ids of the agencies just inserted; returns their former-name rows."""
    ids = dict(db.session.execute(select(Agency.uscc, Agency.id).where(
        Agency.is_demo.is_(True), Agency.id > max_id)).all())
    former_rows = []
    for agency in agencies:
        agency.row["id"] = ids[agency.row["uscc"]]
        for name, until in sorted(agency.former, key=lambda x: x[1]):
            former_rows.append({"agency_id": agency.row["id"], "name": name, "until": until})
    return former_rows


def _abbr(bureau: Bureau) -> str:
    """Short form of a bureau for decision numbers: 并 (太原), 并小 (小店区), 沪浦 (浦东新区)."""
    if bureau.code in CITY_ABBR:
        return CITY_ABBR[bureau.code]
    province = divisions.province_of(bureau.code)
    district = bureau.level == divisions.DISTRICT
    if province == SHANGHAI:
        return "沪" + (bureau.name.removeprefix("上海市")[:1] if district else "")
    city = divisions.city_of(bureau.code)
    if district and city in CITY_ABBR:
        return CITY_ABBR[city] + bureau.name[3:4]  # 太原市小店区… → 小
    return PROVINCE_ABBR.get(province, "")


def _decision_text(authority: Bureau, number: str, party: dict, tpl: dict, facts: str,
                   kinds: list[str], sanction: _Sanction, *, opened: dt.date,
                   decided: dt.date) -> str:
    """The full text of a penalty decision (行政处罚决定书)."""
    superior = "国家知识产权局" if tpl["ip"] else (
        authority.parent.name if authority.parent else "上级市场监督管理部门")
    lines = [
        authority.name, "行政处罚决定书", number, "",
        f"当事人：{party['name']}",
        f"统一社会信用代码：{party['uscc']}",
        f"住所：{party['address']}",
        f"法定代表人（负责人）：{party['legal_rep']}", "",
        f"本机关于{_cn_date(opened)}依法对当事人立案调查。现已调查终结。", "",
        facts, "",
        "上述事实，有现场检查笔录、询问调查笔录、当事人提供的业务台账及委托合同复印件等证据为证。",
        (f"本机关于{_cn_date(decided - dt.timedelta(days=15))}向当事人送达了行政处罚告知书，"
         "告知当事人拟作出行政处罚的事实、理由、依据及依法享有的陈述、申辩和要求听证的权利。"
         "当事人在法定期限内未提出陈述、申辩，也未要求听证。"), "",
        f"当事人的上述行为违反了{tpl['violated']}的规定。{tpl['basis']}，本机关决定对当事人作出如下行政处罚：",
        *_outcome_lines(kinds, sanction), "",
    ]
    if sanction.fine or sanction.confiscation:
        lines.append("当事人应当自收到本决定书之日起十五日内，将罚没款缴至指定银行。逾期不缴纳的，"
                     "每日按罚款数额的百分之三加处罚款。")
    lines += [
        (f"当事人如不服本处罚决定，可以在收到本决定书之日起六十日内向{superior}申请行政复议，"
         "也可以在六个月内依法向人民法院提起行政诉讼。"), "",
        authority.name, _cn_date(decided),
    ]
    return "\n".join(lines)


def _outcome_lines(kinds: list[str], sanction: _Sanction) -> list[str]:
    """一、罚款人民币…元 / 二、…: one numbered line per kind of penalty."""
    return [f"{CHINESE_NUMERALS[i]}、{_outcome(kind, sanction)}" for i, kind in enumerate(kinds)]


def _outcome(kind: str, sanction: _Sanction) -> str:
    if kind == "罚款":
        return f"罚款人民币{sanction.fine:,.0f}元"
    if kind == "没收违法所得":
        return f"没收违法所得人民币{sanction.confiscation:,.0f}元"
    if kind == "责令停止承接新的专利代理业务":
        return f"责令停止承接新的专利代理业务{sanction.months}个月"
    return kind


__all__ = ["DEFAULT_SEED", "build_demo", "clear_demo", "has_real_agencies"]
