"""Authorization as a matrix: every role x every staff route x own bureau / other bureau /
province.  Built table-driven: each row is a route and the expected status per user; a staff
route that no row covers fails ``test_every_staff_route_is_in_the_matrix``."""

from __future__ import annotations

import datetime as dt  # issue 14 — typical cases
import re

import pytest

from intake import routing
from portal.extensions import db
from tests.factories.intake import make_tip
from tests.factories.register import bureau, days_ago, make_agency, make_penalty
from tests.factories.staff import PASSWORD, login, make_staff
from tests.helpers import expect_status, page

USERS = {
    # name: (bureau code, role)
    "staff_a": ("140100", "staff"),
    "lead_a": ("140100", "lead"),
    "staff_b": ("140200", "staff"),
    "lead_b": ("140200", "lead"),
    "district": ("140105", "staff"),
    "admin": ("140000", "admin"),
    "admin_sh": ("310000", "admin"),  # another province's administrator
    "association": ("140000", "association"),  # issue 14 — the association publisher
}
EVERYONE = dict.fromkeys(USERS, 200)
# issue 14 — association measures: the association publisher works no tips (403), and the
# queue (the staff landing page) sends it to its records (302).
TIP_STAFF = {user: 200 for user in USERS if user != "association"}
LANDS = {"association": 302}
NO_TIPS = {"association": 403}  # where others get 404 (never reveal a tip), it gets 403
# The sign-in flow itself: under /staff, but open to visitors who are not signed in.
SIGN_IN = {"auth.login", "auth.totp", "auth.logout"}


@pytest.fixture
def world(app):
    """Bureau A (太原 140100) holds a tip with a file, a spot check it published, a routing
    rule of the province and a colleague (not signed in) whom administrators manage."""
    with app.test_request_context():  # register services translate their labels
        for name, (code, role) in USERS.items():
            make_staff(code, role, email=f"{name}@example.org")
        colleague = make_staff("140100", "staff")
        agency = make_agency(division_code="140121")
        tip = make_tip(agency=agency).tip
        from portal.register import services

        record = services.publish_record("spot_check", {
            "agency_uscc": agency.uscc, "task_number": "SX-2026-001", "task_name": "双随机抽查",
            "check_type": "不定向抽查", "completed_on": "2026-03-02", "result": "未发现问题",
            "published_on": "2026-03-05",
        }, bureau=tip.bureau)
        rule = routing.add_routing_rule(category=None, division_prefix="1401",
                                        bureau=bureau("140100"))
        # issue 14 — typical cases: a published case of bureau A (w["case"])
        from portal.cases.models import TypicalCase

        case = TypicalCase(title="典型案例", summary="摘要", body="正文", bureau=bureau("140100"),
                           publisher_name="太原市市场监督管理局", status="published",
                           published_on=dt.date(2026, 3, 1))
        db.session.add(case)
        db.session.commit()
        assert tip.bureau.code == "140100"
        world = {"ref": tip.reference, "att": tip.attachments[0].id, "spot": record.id,
                 "rule": rule.id, "colleague": colleague.id,
                 "case": case.id}  # issue 14 — typical cases
        # issue 14 — credit repair: an open application in bureau A's queue, with a file
        from tests.factories.repair import make_application

        application = make_application(make_penalty(
            agency, decided_on=days_ago(410), published_on=days_ago(400)))
        world.update(repair=application.reference, repair_file=application.files[0].id)
        # issue 14 — association measures: the vocabulary, and a measure the association
        # (bureau 140000) published (w["measure_kind"], w["measure"])
        from portal.association.measure_kinds import active_kinds, ensure_default_kinds

        ensure_default_kinds()
        measure = services.publish_record("association_measure", {
            "party_uscc": agency.uscc, "measure": "warning", "facts": "未按规定签名",
            "basis": "《专利代理行业自律惩戒规则》第十条", "decided_by": "山西省专利代理师协会",
            "decided_on": "2026-03-02"}, bureau=bureau("140000"))
        db.session.commit()
        world.update(measure_kind=active_kinds()[0].id, measure=measure.id)
        # issue 14 — patent agents: an agent practising in A's agency (w["agent"])
        from portal.register import kinds as register_kinds
        from portal.register.agents import save_agent

        agent = save_agent(register_kinds.AGENT.clean({
            "certificate_no": "14202000001", "name": "测试代理师", "agency_uscc": agency.uscc}))
        db.session.commit()
        world.update(agent=agent.certificate_no)
        return world


def _routes(w):
    ref, att, spot = w["ref"], w["att"], w["spot"]
    ok_a = {"staff_a": 200, "lead_a": 200, "admin": 200}
    lead_a = {"lead_a": 422, "admin": 422}
    leads = {"lead_a": 422, "lead_b": 422, "admin": 422, "admin_sh": 422}
    admins = {"admin": 422, "admin_sh": 422}
    # (label, method, url, data, expected per user; anything unlisted expects `default`)
    return [
        ("queue own=A", "GET", "/staff/?bureau=140100", None, {**ok_a, **LANDS}, 403),
        ("queue B", "GET", "/staff/?bureau=140200",
         None, {"staff_b": 200, "lead_b": 200, "admin": 200, **LANDS}, 403),
        ("queue province", "GET", "/staff/?bureau=140000", None, {"admin": 200, **LANDS}, 403),
        ("queue default", "GET", "/staff/", None, {**TIP_STAFF, **LANDS}, 403),
        ("tip of A", "GET", f"/staff/tips/{ref}", None, {**ok_a, **NO_TIPS}, 404),
        ("attachment of A", "GET", f"/staff/tips/{ref}/files/{att}", None, {**ok_a, **NO_TIPS},
         404),
        ("note on A's tip", "POST", f"/staff/tips/{ref}/add_note", {"text": "备注"},
         {"staff_a": 302, "lead_a": 302, "admin": 302, **NO_TIPS}, 404),
        ("supervise A's tip", "POST", f"/staff/tips/{ref}/supervise", {"note": "请加快"},
         {"admin": 302, "staff_a": 403, "lead_a": 403, **NO_TIPS}, 404),
        ("supervised list", "GET", "/staff/supervised", None, TIP_STAFF, 403),
        # the reporter's channel (#13): identity (own bureau only), messages, audit, texts
        ("reporter identity of A's tip", "GET", f"/staff/tips/{ref}/reporter", None,
         {"staff_a": 200, "lead_a": 200, "admin": 403, **NO_TIPS}, 404),
        ("message to A's reporter, empty", "POST", f"/staff/tips/{ref}/message",
         {"message": ""}, {"staff_a": 422, "lead_a": 422, "admin": 422, **NO_TIPS}, 404),
        ("access audit A", "GET", "/staff/audit?bureau=140100", None,
         {"lead_a": 200, "admin": 200}, 403),
        ("access audit default", "GET", "/staff/audit", None,
         {"lead_a": 200, "lead_b": 200, "admin": 200, "admin_sh": 200}, 403),
        ("admin tip texts", "GET", "/staff/admin/tip-texts", None,
         {"admin": 200, "admin_sh": 200}, 403),
        ("admin save tip texts empty", "POST", "/staff/admin/tip-texts", {"text_zh": ""},
         admins, 403),
        ("dashboard A", "GET", "/staff/dashboard?bureau=140100", None, ok_a, 403),
        ("dashboard province", "GET", "/staff/dashboard?bureau=140000", None, {"admin": 200}, 403),
        ("dashboard csv A", "GET", "/staff/dashboard/status.csv?bureau=140100", None, ok_a, 403),
        ("work view", "GET", "/staff/all", None, TIP_STAFF, 403),
        ("work view of A", "GET", "/staff/all?bureau=140100&overdue=any", None, ok_a, 403),
        ("work view of A's district", "GET", "/staff/all?bureau=140105", None,
         {"lead_a": 200, "district": 200, "admin": 200}, 403),
        ("records list", "GET", "/staff/records", None,
         {"lead_a": 200, "lead_b": 200, "admin": 200, "admin_sh": 200, "association": 200}, 403),
        ("new spot check for A", "GET", "/staff/records/new/spot_check?bureau=140100", None,
         {"lead_a": 200, "admin": 200}, 403),
        ("publish empty spot check for A", "POST", "/staff/records/new/spot_check?bureau=140100",
         {}, lead_a, 403),
        ("new credit grade for A", "GET", "/staff/records/new/credit_grade?bureau=140100",
         None, {"admin": 200}, 403),
        ("new list entry province", "GET", "/staff/records/new/list_entry?bureau=140000",
         None, {"admin": 200}, 403),
        ("edit A's spot check", "GET", f"/staff/records/spot_check/{spot}", None,
         {"lead_a": 200, "admin": 200}, 403),
        ("save A's spot check empty", "POST", f"/staff/records/spot_check/{spot}", {},
         lead_a, 403),
        ("withdraw A's spot check", "POST", f"/staff/records/spot_check/{spot}/withdraw",
         {"reason": ""}, lead_a, 403),
        ("import", "GET", "/staff/import", None,
         {"lead_a": 200, "lead_b": 200, "admin": 200, "admin_sh": 200, "association": 200}, 403),
        ("import without a file", "POST", "/staff/import", {}, {**leads, "association": 422},
         403),
        # No upload in the session: everyone is sent back to the upload page (which checks).
        ("confirm an unknown import", "POST", "/staff/import/confirm", {"token": "x"},
         dict.fromkeys(USERS, 302), 302),
        ("admin staff", "GET", "/staff/admin/staff", None, {"admin": 200, "admin_sh": 200}, 403),
        ("admin add staff empty", "POST", "/staff/admin/staff", {}, admins, 403),
        ("admin clear TOTP of A's staff", "POST",
         f"/staff/admin/staff/{w['colleague']}/reset-totp", {}, {"admin": 302, "admin_sh": 404},
         403),
        ("admin routing", "GET", "/staff/admin/routing", None,
         {"admin": 200, "admin_sh": 200}, 403),
        ("admin add routing rule empty", "POST", "/staff/admin/routing", {}, admins, 403),
        ("admin deactivate A's rule", "POST", f"/staff/admin/routing/{w['rule']}/deactivate",
         {}, {"admin": 302, "admin_sh": 404}, 403),
        ("admin holidays", "GET", "/staff/admin/holidays", None,
         {"admin": 200, "admin_sh": 200}, 403),
        ("admin public texts", "GET", "/staff/admin/texts", None,
         {"admin": 200, "admin_sh": 200}, 403),
        ("admin save public texts", "POST", "/staff/admin/texts", {},
         {"admin": 302, "admin_sh": 302}, 403),
        ("admin add holiday", "POST", "/staff/admin/holidays", {"day": "bad"}, admins, 403),
        ("admin delete no holiday", "POST", "/staff/admin/holidays/bad/delete", {},
         {"admin": 404, "admin_sh": 404}, 403),
        ("admin TOTP role", "POST", "/staff/admin/roles", {"role": "nope"}, admins, 403),
        ("own password", "GET", "/staff/account/password", None, EVERYONE, 403),
        ("change own password empty", "POST", "/staff/account/password", {},
         dict.fromkeys(USERS, 422), 403),
        ("own TOTP", "GET", "/staff/account/totp", None, EVERYONE, 403),
        ("enrol own TOTP empty", "POST", "/staff/account/totp", {}, dict.fromkeys(USERS, 422),
         403),
        # issue 14 — patent agents (rows of the agents feature below)
        ("agents", "GET", "/staff/agents/", None,
         {"lead_a": 200, "lead_b": 200, "admin": 200, "admin_sh": 200}, 403),
        ("new agent", "GET", "/staff/agents/new", None,
         {"lead_a": 200, "lead_b": 200, "admin": 200, "admin_sh": 200}, 403),
        ("save new agent empty", "POST", "/staff/agents/new", {}, leads, 403),
        ("edit A's agent", "GET", f"/staff/agents/{w['agent']}", None,
         {"lead_a": 200, "admin": 200}, 403),
        ("save A's agent empty", "POST", f"/staff/agents/{w['agent']}", {}, lead_a, 403),
        # issue 14 — association measures (rows of the association feature below)
        ("measure kinds", "GET", "/staff/association/measure-kinds", None,
         {"association": 200, "admin": 200, "admin_sh": 200}, 403),
        ("add measure kind empty", "POST", "/staff/association/measure-kinds", {},
         {"association": 422, "admin": 422, "admin_sh": 422}, 403),
        ("rename measure kind empty", "POST",
         f"/staff/association/measure-kinds/{w['measure_kind']}", {},
         {"association": 422, "admin": 422, "admin_sh": 422}, 403),
        ("deactivate measure kind", "POST",
         f"/staff/association/measure-kinds/{w['measure_kind']}/deactivate", {},
         {"association": 302, "admin": 302, "admin_sh": 302}, 403),
        ("new measure, own bureau", "GET", "/staff/records/new/association_measure", None,
         {"association": 200, "admin": 200, "admin_sh": 200}, 403),
        ("new measure for A", "GET", "/staff/records/new/association_measure?bureau=140100",
         None, {"admin": 200}, 403),
        ("publish empty measure", "POST", "/staff/records/new/association_measure", {},
         {"association": 422, "admin": 422, "admin_sh": 422}, 403),
        ("edit the association's measure", "GET",
         f"/staff/records/association_measure/{w['measure']}", None,
         {"association": 200, "admin": 200}, 403),
        ("save the association's measure empty", "POST",
         f"/staff/records/association_measure/{w['measure']}", {},
         {"association": 422, "admin": 422}, 403),
        ("withdraw the association's measure, no reason", "POST",
         f"/staff/records/association_measure/{w['measure']}/withdraw", {"reason": ""},
         {"association": 422, "admin": 422}, 403),
        # issue 14 — typical cases (rows of the typical-cases feature below)
        ("typical cases", "GET", "/staff/cases/", None,
         {"lead_a": 200, "lead_b": 200, "admin": 200, "admin_sh": 200, "association": 200},
         403),
        ("new case for A", "GET", "/staff/cases/new?bureau=140100", None,
         {"lead_a": 200, "admin": 200}, 403),
        ("save empty case for A", "POST", "/staff/cases/new?bureau=140100", {}, lead_a, 403),
        ("edit A's case", "GET", f"/staff/cases/{w['case']}", None,
         {"lead_a": 200, "admin": 200}, 403),
        ("save A's case empty", "POST", f"/staff/cases/{w['case']}", {}, lead_a, 403),
        ("publish A's published case", "POST", f"/staff/cases/{w['case']}/publish", {},
         lead_a, 403),
        ("withdraw A's case without reason", "POST", f"/staff/cases/{w['case']}/withdraw",
         {"reason": ""}, lead_a, 403),
        # issue 14 — credit repair (rows of the credit-repair feature below)
        ("repair list default", "GET", "/staff/repairs/", None, TIP_STAFF, 403),
        ("repair list A", "GET", "/staff/repairs/?bureau=140100", None, ok_a, 403),
        ("repair application of A", "GET", f"/staff/repairs/{w['repair']}", None, ok_a, 404),
        ("repair file of A", "GET", f"/staff/repairs/{w['repair']}/files/{w['repair_file']}",
         None, ok_a, 404),
        ("verify A's applicant, no note", "POST", f"/staff/repairs/{w['repair']}/verify",
         {"note": ""}, {"staff_a": 422, "lead_a": 422, "admin": 422}, 404),
        ("approve A's application unverified", "POST", f"/staff/repairs/{w['repair']}/approve",
         {}, {"staff_a": 403, "lead_a": 409, "admin": 409}, 404),
        ("refuse A's application, no reason", "POST", f"/staff/repairs/{w['repair']}/refuse",
         {"reason": ""}, {"staff_a": 403, "lead_a": 422, "admin": 422}, 404),
    ]


def test_authorization_matrix(app, world):
    failures = []
    clients = {}
    for name in USERS:
        clients[name] = app.test_client()
        assert login(clients[name], f"{name}@example.org", PASSWORD).status_code == 302
    clients["anonymous"] = app.test_client()
    for label, method, url, data, expected, default in _routes(world):
        for user, client in clients.items():
            want = 302 if user == "anonymous" else expected.get(user, default)
            resp = client.open(url, method=method, data=data)
            if resp.status_code != want:
                failures.append(f"{label} as {user}: {resp.status_code} (expected {want})")
            if user == "anonymous":
                assert "/staff/login" in resp.headers.get("Location", "")
    assert failures == [], "\n".join(failures)


def _sample_url(adapter, rule) -> str:
    """The rule's URL with a sample value for every variable part: "1", or the first
    value an ``any(...)`` converter allows."""
    values = {}
    for name in rule.arguments:
        allowed = getattr(rule._converters.get(name), "items", None)
        values[name] = sorted(allowed)[0] if allowed else "1"
    return adapter.build(rule.endpoint, values)


def _staff_routes(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every staff route: everything under /staff but the sign-in
    flow, and any other route that sends a visitor who is not signed in to the sign-in page."""
    adapter = app.url_map.bind("localhost")
    visitor = app.test_client()
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SIGN_IN or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.rule.startswith("/staff/"):
                found.add((rule.endpoint, method))
                continue
            resp = visitor.open(_sample_url(adapter, rule), method=method)
            resp.close()  # a streamed download must not be left for the garbage collector
            if "/staff/login" in resp.headers.get("Location", ""):
                found.add((rule.endpoint, method))
    return found


def test_every_staff_route_is_in_the_matrix(app, world):
    adapter = app.url_map.bind("localhost")
    listed = set()
    for _label, method, url, *_ in _routes(world):
        endpoint, _args = adapter.match(url.split("?")[0], method=method)
        listed.add((endpoint, method))
    missing = sorted(_staff_routes(app) - listed)
    assert not missing, "staff routes missing from the authorization matrix: " + ", ".join(
        f"{method} {endpoint}" for endpoint, method in missing)


def test_denied_attachment_and_tip_reveal_nothing(app, world):
    client = app.test_client()
    login(client, "staff_b@example.org")
    missing = client.get("/staff/tips/JB-2099-999999")
    denied = client.get(f"/staff/tips/{world['ref']}")
    assert missing.status_code == denied.status_code == 404

    def strip_token(body):  # the CSRF token and the requested URL (language link) differ
        body = re.sub(rb'name="csrf-token" content="[^"]+"', b"", body)
        return re.sub(rb"JB-\d{4}-\d{6}", b"REF", body)

    assert strip_token(missing.get_data()) == strip_token(denied.get_data())
    denied_file = client.get(f"/staff/tips/{world['ref']}/files/{world['att']}")
    assert denied_file.status_code == 404 and b"%PDF" not in denied_file.get_data()


def test_reporter_identity_only_for_the_handling_bureau(app, world):
    own, admin = app.test_client(), app.test_client()
    login(own, "staff_a@example.org")
    login(admin, "admin@example.org")
    # Shown on request only (each view is audited, intake.audit), to the handling bureau.
    assert "13800000000" not in str(page(own, f"/staff/tips/{world['ref']}"))
    assert "13800000000" in str(page(own, f"/staff/tips/{world['ref']}/reporter"))
    html = str(page(admin, f"/staff/tips/{world['ref']}"))
    assert "13800000000" not in html and "举报人甲" not in html
    assert "仅承办部门工作人员可见" in html


def test_attachment_is_a_download_never_inline(app, world):
    client = app.test_client()
    login(client, "staff_a@example.org")
    resp = expect_status(client.get(f"/staff/tips/{world['ref']}/files/{world['att']}"), 200,
                         "the handling bureau's download")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.mimetype == "application/octet-stream"
    assert resp.get_data().startswith(b"%PDF")
    # The attachment id must belong to the tip in the URL.
    assert client.get(f"/staff/tips/JB-2099-000001/files/{world['att']}").status_code == 404


def _csrf_token(doc) -> str:
    return doc.select_one('input[name="csrf_token"]')["value"]


def test_actions_need_csrf(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = _csrf_token(page(client, "/staff/login"))
    client.post("/staff/login", data={"email": "staff_a@example.org", "password": PASSWORD,
                                      "csrf_token": token})
    resp = client.post(f"/staff/tips/{world['ref']}/accept")
    assert resp.status_code == 400
    token = _csrf_token(page(client, f"/staff/tips/{world['ref']}"))
    resp = client.post(f"/staff/tips/{world['ref']}/accept", data={"csrf_token": token})
    assert resp.status_code == 302
