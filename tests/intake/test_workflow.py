import datetime as dt

import chinese_calendar
import pytest

from intake import event_text, workflow
from intake.models import CalendarDay, TipEvent
from intake.workflow import Forbidden, TransitionError
from portal.extensions import db
from tests.factories.register import bureau
from tests.factories.staff import make_staff

D = dt.date


@pytest.fixture
def people(app_ctx):
    return {
        "staff": make_staff("140105", "staff"),
        "staff2": make_staff("140105", "staff"),
        "lead": make_staff("140105", "lead"),
        "other": make_staff("140106", "staff"),
        "other_lead": make_staff("140106", "lead"),
        "admin": make_staff("140000", "admin"),
        "sh_admin": make_staff("310000", "admin"),
        "city_lead": make_staff("140100", "lead"),
    }


def kinds(tip):
    return [e.kind for e in tip.events]


def last(tip) -> TipEvent:
    return tip.events[-1]


def shown(event) -> str | None:
    """What the reporter reads about ``event`` (in Chinese), None if it is internal."""
    return event_text.plain(event) if event_text.is_public(event) else None


def test_submission_enters_the_queue_with_two_public_events(new_tip):
    tip = new_tip()
    assert tip.status == "received"
    assert tip.bureau.code == "140105"
    assert kinds(tip) == ["submitted", "routed"]
    assert tip.events[0].actor_kind == "reporter"
    assert "太原市小店区市场监督管理局" in shown(tip.events[1])
    assert tip.events[1].internal_text == tip.routing_reason
    assert tip.accept_due is not None and tip.verify_due is None
    assert all(e.status_after == "received" for e in tip.events)


def test_accept_sets_verification_deadline_and_assignee(new_tip, people):
    tip = new_tip()
    event = workflow.accept(tip, people["staff"])
    assert tip.status == "accepted" and event.kind == "accepted"
    assert event.actor_id == people["staff"].id and event.actor_kind == "staff"
    assert event.status_after == "accepted"
    assert tip.accepted_at is not None and tip.verify_due is not None
    assert tip.assignee_id == people["staff"].id
    assert "已受理" in shown(event)


def test_accepting_twice_is_a_transition_error(new_tip, people):
    tip = new_tip()
    workflow.accept(tip, people["staff"])
    with pytest.raises(TransitionError) as info:
        workflow.accept(tip, people["staff"])
    assert "不能" in info.value.message
    assert kinds(tip).count("accepted") == 1


def test_other_bureau_and_anonymous_users_are_forbidden(new_tip, people):
    tip = new_tip()
    for user in (people["other"], people["other_lead"], people["sh_admin"], people["city_lead"]):
        with pytest.raises(Forbidden):
            workflow.accept(tip, user)
        assert workflow.allowed_actions(user, tip) == set()

    class Anonymous:
        is_authenticated = False
        active = False

    with pytest.raises(Forbidden):
        workflow.accept(tip, Anonymous())
    assert tip.status == "received" and kinds(tip) == ["submitted", "routed"]


def test_role_table_in_allowed_actions(new_tip, people):
    tip = new_tip()
    assert workflow.allowed_actions(people["staff"], tip) == {
        "accept", "add_note", "transfer", "return_to_triage", "mark_duplicate"}
    assert workflow.allowed_actions(people["lead"], tip) == {
        "accept", "add_note", "transfer", "return_to_triage", "mark_duplicate", "assign"}
    assert workflow.allowed_actions(people["admin"], tip) == {
        "accept", "add_note", "transfer", "return_to_triage", "mark_duplicate", "assign",
        "supervise"}
    workflow.accept(tip, people["staff"])
    assert workflow.allowed_actions(people["staff"], tip) == {
        "request_info", "add_note", "transfer", "return_to_triage", "extend_deadline",
        "mark_duplicate", "conclude"}


def test_assign_is_for_leads_and_only_to_own_bureau(new_tip, people):
    tip = new_tip()
    with pytest.raises(Forbidden):
        workflow.assign(tip, people["staff"], people["staff2"])
    with pytest.raises(TransitionError):
        workflow.assign(tip, people["lead"], people["other"])
    event = workflow.assign(tip, people["lead"], people["staff2"])
    assert tip.assignee_id == people["staff2"].id and shown(event) is None
    assert event.data == {"assignee_id": people["staff2"].id}


def test_request_info_and_reporter_reply(new_tip, people):
    tip = new_tip()
    with pytest.raises(TransitionError):
        workflow.request_info(tip, people["staff"], "请补充")  # not accepted yet
    workflow.accept(tip, people["staff"])
    with pytest.raises(TransitionError):
        workflow.request_info(tip, people["staff"], "  ")
    event = workflow.request_info(tip, people["staff"], "请提供付款凭证。")
    assert tip.status == "awaiting_info" and "请提供付款凭证。" in shown(event)
    with pytest.raises(TransitionError):
        workflow.reporter_reply(tip, "", [])
    reply = workflow.reporter_reply(tip, "收款截图见附件XYZ", [])
    assert tip.status == "accepted" and reply.actor_kind == "reporter"
    assert reply.internal_text == "收款截图见附件XYZ" and "XYZ" not in shown(reply)
    with pytest.raises(TransitionError):
        workflow.reporter_reply(tip, "再次补充", [])


def test_note_is_internal(new_tip, people):
    tip = new_tip()
    event = workflow.add_note(tip, people["staff"], "内部：疑似团伙作案")
    assert shown(event) is None and event.internal_text == "内部：疑似团伙作案"
    assert event not in workflow.public_events(tip)
    with pytest.raises(TransitionError):
        workflow.add_note(tip, people["staff"], "")


def test_transfer_moves_queue_and_restarts_acceptance_clock(new_tip, people):
    with workflow.at(dt.datetime(2026, 2, 13, 2, 0)):  # 10:00 in China, Friday
        tip = new_tip()
        workflow.accept(tip, people["staff"])
    assert tip.accept_due == D(2026, 3, 2)
    with pytest.raises(TransitionError):
        workflow.transfer(tip, people["staff"], bureau("140106"), "")
    with pytest.raises(TransitionError):
        workflow.transfer(tip, people["staff"], bureau("140105"), "不属本辖区")
    with workflow.at(dt.datetime(2026, 2, 24, 2, 0)):
        event = workflow.transfer(tip, people["staff"], bureau("140106"), "发生地在迎泽区")
    assert tip.bureau.code == "140106" and tip.status == "received"
    assert tip.accept_due == D(2026, 3, 4)  # 7 working days after 02-24
    assert tip.accepted_at is None and tip.verify_due is None and tip.assignee_id is None
    assert event.from_bureau.code == "140105" and event.to_bureau.code == "140106"
    assert "迎泽区" in shown(event) and event.internal_text == "发生地在迎泽区"
    # The old bureau loses it, the new one can act.
    with pytest.raises(Forbidden):
        workflow.accept(tip, people["staff"])
    workflow.accept(tip, people["other"])
    assert tip.status == "accepted"


def test_transfer_to_inactive_bureau_is_refused(new_tip, people):
    tip = new_tip()
    target = bureau("140106")
    target.active = False
    with pytest.raises(TransitionError):
        workflow.transfer(tip, people["staff"], target, "理由")
    assert tip.bureau.code == "140105"


def test_transfer_targets_are_the_province_and_other_provincial_bureaus(new_tip, people):
    tip = new_tip()
    codes = [b.code for b in workflow.transfer_targets(tip, people["staff"])]
    assert "140105" not in codes  # where it is now
    assert {"140000", "140100", "140106", "140200"} <= set(codes)
    # Another province: only its provincial bureau (which distributes the tip there).
    assert {"310000", "410000"} <= set(codes)
    assert not {"310115", "310101", "410700"} & set(codes)
    assert workflow.transfer_targets(tip, people["other"]) == []  # not theirs to move


def test_transfer_to_a_bureau_of_another_province_is_refused(new_tip, people):
    tip = new_tip()
    before = (tip.bureau_id, tip.status, tip.accept_due, len(tip.events))
    for code in ("310115", "410700"):
        with pytest.raises(TransitionError) as info:
            workflow.transfer(tip, people["staff"], bureau(code), "经营者实际在外省")
        assert info.value.field == "to_bureau" and "省级" in info.value.message
    assert (tip.bureau_id, tip.status, tip.accept_due, len(tip.events)) == before


def test_cross_province_transfer_goes_to_the_provincial_bureau_and_is_recorded(new_tip, people):
    from intake import queries

    tip = new_tip()
    workflow.accept(tip, people["staff"])
    with pytest.raises(TransitionError):
        workflow.transfer(tip, people["staff"], bureau("310000"), " ")  # reason required
    event = workflow.transfer(tip, people["staff"], bureau("310000"), "经营者住所地在上海浦东")
    assert tip.bureau.code == "310000" and tip.status == "received"
    assert event.data["cross_province"] is True and event.data["bureau"] == event.to_bureau.name
    assert event.from_bureau.code == "140105" and event.to_bureau.code == "310000"
    # The receiving province's administrator handles it like any tip ...
    assert "accept" in workflow.allowed_actions(people["sh_admin"], tip)
    # ... the sending province no longer sees the tip, but keeps the record.
    assert workflow.allowed_actions(people["admin"], tip) == set()
    shanxi = [bureau("140000"), bureau("140100"), bureau("140105")]
    assert queries.transfers_out_of_province(shanxi) == [event]
    assert queries.transfers_out_of_province([bureau("140105")]) == [event]
    assert queries.transfers_out_of_province([bureau("140106")]) == []
    assert queries.transfers_out_of_province([bureau("310000")]) == []
    # A transfer within the province is not listed.
    other = new_tip()
    workflow.transfer(other, people["staff"], bureau("140106"), "发生地在迎泽区")
    assert queries.transfers_out_of_province(shanxi) == [event]


def test_return_to_triage_and_admin_reassigns(new_tip, people):
    tip = new_tip()
    event = workflow.return_to_triage(tip, people["staff"], "管辖有争议")
    assert tip.bureau.code == "140000" and tip.status == "received"
    assert event.kind == "returned_to_triage"
    with pytest.raises(TransitionError):
        workflow.return_to_triage(tip, people["admin"], "再次")
    workflow.transfer(tip, people["admin"], bureau("140106"), "指定迎泽区局办理")
    assert tip.bureau.code == "140106"


def test_extend_once(new_tip, people):
    with workflow.at(dt.datetime(2026, 2, 13, 2, 0)):
        tip = new_tip()
        workflow.accept(tip, people["staff"])
    assert tip.verify_due == D(2026, 3, 12)
    assert tip.verify_due == chinese_calendar.find_workday(15, D(2026, 2, 13))
    with pytest.raises(TransitionError):
        workflow.extend_deadline(tip, people["staff"], " ")
    event = workflow.extend_deadline(tip, people["staff"], "需调取平台数据")
    assert tip.extended and tip.verify_due == chinese_calendar.find_workday(15, D(2026, 3, 12))
    assert event.data == {"from": "2026-03-12", "to": tip.verify_due.isoformat()}
    with pytest.raises(TransitionError):
        workflow.extend_deadline(tip, people["staff"], "再延")
    assert "extend_deadline" not in workflow.allowed_actions(people["staff"], tip)


def test_deadline_uses_the_china_date(new_tip):
    # 17:00 UTC on Friday 02-13 is already Saturday 02-14 (a make-up working day) in China.
    with workflow.at(dt.datetime(2026, 2, 13, 17, 0)):
        tip = new_tip()
    assert tip.accept_due == D(2026, 3, 3)


def test_deadlines_in_a_fallback_year_use_holiday_rows(new_tip):
    for day in range(6, 15):
        db.session.add(CalendarDay(day=D(2027, 2, day), workday=False, name="春节"))
    db.session.add(CalendarDay(day=D(2027, 2, 20), workday=True, name="春节调休"))
    db.session.commit()
    with workflow.at(dt.datetime(2027, 2, 5, 2, 0)):
        tip = new_tip()
    assert tip.accept_due == D(2027, 2, 22)
    assert workflow.working_days_left(tip, on=D(2027, 2, 19)) == 2
    assert workflow.working_days_left(tip, on=D(2027, 2, 23)) == -1
    assert workflow.is_overdue(tip, on=D(2027, 2, 23))
    assert not workflow.is_overdue(tip, on=D(2027, 2, 22))


def test_mark_duplicate_links_and_refuses_cycles(new_tip, people):
    first, second = new_tip(), new_tip()
    with pytest.raises(TransitionError):
        workflow.mark_duplicate(second, people["staff"], second)
    event = workflow.mark_duplicate(second, people["staff"], first)
    assert second.duplicate_of_id == first.id and shown(event) is None
    with pytest.raises(TransitionError):
        workflow.mark_duplicate(first, people["staff"], second)
    assert first.duplicate_of_id is None


def test_staff_conclusion_needs_lead_approval(new_tip, people):
    tip = new_tip()
    with pytest.raises(TransitionError):
        workflow.conclude(tip, people["staff"], "not_substantiated", "答复")  # not accepted
    workflow.accept(tip, people["staff"])
    with pytest.raises(TransitionError):
        workflow.conclude(tip, people["staff"], "nonsense", "答复")
    with pytest.raises(TransitionError):
        workflow.conclude(tip, people["staff"], "not_substantiated", "")
    event = workflow.conclude(tip, people["staff"], "not_substantiated", "经核查未发现问题。")
    assert tip.status == "pending_approval" and shown(event) is None
    assert "approve_conclusion" not in workflow.allowed_actions(people["staff"], tip)
    with pytest.raises(Forbidden):
        workflow.approve_conclusion(tip, people["staff"])
    with pytest.raises(Forbidden):
        workflow.approve_conclusion(tip, people["other_lead"])
    done = workflow.approve_conclusion(tip, people["lead"])
    assert tip.status == "concluded" and tip.outcome == "not_substantiated"
    assert tip.concluded_at is not None
    assert "经核查未发现问题。" in shown(done) and "举报不属实" in shown(done)
    assert workflow.allowed_actions(people["lead"], tip) == {"add_note"}
    with pytest.raises(TransitionError):
        workflow.transfer(tip, people["lead"], bureau("140106"), "迟到的移送")


def test_lead_rejects_a_proposal(new_tip, people):
    tip = new_tip()
    workflow.accept(tip, people["staff"])
    workflow.conclude(tip, people["staff"], "substantiated", "属实")
    with pytest.raises(TransitionError):
        workflow.reject_conclusion(tip, people["lead"], "")
    workflow.reject_conclusion(tip, people["lead"], "证据不足，请补充核查")
    assert tip.status == "accepted" and tip.outcome is None
    with pytest.raises(TransitionError):
        workflow.approve_conclusion(tip, people["lead"])


def test_lead_and_admin_conclude_directly(new_tip, people):
    tip = new_tip()
    workflow.accept(tip, people["lead"])
    event = workflow.conclude(tip, people["lead"], "referred", "已移送公安机关。")
    assert tip.status == "concluded" and event.kind == "concluded"
    other = new_tip()
    workflow.accept(other, people["admin"])
    workflow.conclude(other, people["admin"], "withdrawn", "举报人撤回。")
    assert other.status == "concluded"


def test_supervise_is_provincial_admin_only(new_tip, people):
    tip = new_tip()
    with pytest.raises(Forbidden):
        workflow.supervise(tip, people["lead"], "督办")
    with pytest.raises(Forbidden):
        workflow.supervise(tip, people["sh_admin"], "督办")
    with pytest.raises(TransitionError):
        workflow.supervise(tip, people["admin"], "")
    event = workflow.supervise(tip, people["admin"], "请按期办结")
    assert tip.supervised and event.internal_text == "请按期办结" and shown(event) is None


def test_every_action_is_in_the_table_and_events_are_append_only(new_tip, people):
    assert set(workflow.ACTIONS) == {
        "accept", "assign", "request_info", "reporter_reply", "add_note", "transfer",
        "return_to_triage", "extend_deadline", "mark_duplicate", "conclude",
        "approve_conclusion", "reject_conclusion", "supervise"}
    tip = new_tip()
    workflow.accept(tip, people["staff"])
    workflow.add_note(tip, people["staff"], "备注")
    db.session.commit()
    ids = [e.id for e in tip.events]
    assert ids == sorted(ids) and len(ids) == 4
    assert [e.status_after for e in tip.events] == ["received", "received", "accepted",
                                                    "accepted"]
