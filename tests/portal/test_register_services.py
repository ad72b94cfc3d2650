import datetime as dt
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.register import services
from portal.register.cleaning import ValidationError
from portal.register.models import Agency, Penalty
from portal.register.publication import add_months, publication_end_for
from tests.factories.register import (
    days_ago,
    make_agency,
    make_list_entry,
    make_penalty,
    make_uscc,
)

D = dt.date(2025, 3, 10)


@pytest.mark.parametrize("kinds,fine,months,expected", [
    (["通报批评"], None, None, add_months(D, 3)),
    (["罚款"], 10000, None, add_months(D, 3)),          # small fine (== threshold)
    (["罚款"], 10001, None, add_months(D, 36)),         # above the threshold
    (["通报批评", "罚款"], 5000, None, add_months(D, 3)),
    (["警告"], None, None, add_months(D, 36)),
    (["警告", "罚款"], 5000, None, add_months(D, 36)),
    (["罚款", "没收违法所得"], 100, None, add_months(D, 36)),
    (["责令停止承接新的专利代理业务"], None, 12, add_months(D, 36)),
    (["吊销执业许可证"], None, 48, add_months(D, 48)),  # a longer restriction wins
])
def test_publication_window_rule(app_ctx, kinds, fine, months, expected):
    end = publication_end_for(kinds, Decimal(fine) if fine else None, months, D)
    assert end == expected - dt.timedelta(days=1)


def test_small_fine_threshold_is_configurable(app_ctx):
    app_ctx.config["PENALTY_SMALL_FINE_YUAN"] = 50000
    end = publication_end_for(["罚款"], Decimal(30000), None, D)
    assert end == add_months(D, 3) - dt.timedelta(days=1)


def test_add_months_clamps_month_end():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 5, 1), -36) == dt.date(2022, 5, 1)


def test_publish_penalty_sets_window_and_who(app_ctx):
    agency = make_agency()
    p = make_penalty(agency, penalty_kinds="通报批评", fine_amount=None)
    assert p.publication_ends_on == add_months(p.published_on, 3) - dt.timedelta(days=1)
    assert p.agency is agency and p.status == "published"
    p2 = make_penalty(agency, fine_amount="200000")
    assert p2.publication_ends_on == add_months(p2.published_on, 36) - dt.timedelta(days=1)


def test_penalty_against_unregistered_operator(app_ctx):
    code = make_uscc("140106")
    p = make_penalty(None, party_name="太原某咨询有限公司", party_uscc=code)
    assert p.agency is None and p.party_uscc == code and p.is_public()


def test_validation_messages_are_chinese_and_per_field(app_ctx):
    with pytest.raises(ValidationError) as exc:
        services.publish_record("penalty", {
            "decision_number": "", "party_name": "x", "party_uscc": "91140105MA0KX1234X",
            "violation_type": "乱收费", "facts": "f", "legal_basis": "b",
            "penalty_kinds": "罚款、打板子", "decided_on": "2025-13-01", "authority": "a"})
    errors = exc.value.errors
    assert errors["decision_number"] == "决定书文号不能为空"
    assert errors["party_uscc"] == "统一社会信用代码校验位错误"
    assert "乱收费" in errors["violation_type"] and "不是允许的值" in errors["violation_type"]
    assert "打板子" in errors["penalty_kinds"]
    assert "不是有效日期" in errors["decided_on"]


def test_fine_required_with_fine_kind_and_suspension_months(app_ctx):
    agency = make_agency()
    with pytest.raises(ValidationError) as exc:
        make_penalty(agency, penalty_kinds="罚款、责令停止承接新的专利代理业务", fine_amount=None,
                     suspension_months="3")
    assert set(exc.value.errors) == {"fine_amount", "suspension_months"}


def test_duplicate_decision_number_rejected(app_ctx):
    p = make_penalty(make_agency())
    with pytest.raises(ValidationError) as exc:
        make_penalty(make_agency(), decision_number=p.decision_number)
    assert "decision_number" in exc.value.errors


def test_withdraw_keeps_row_and_records_who(app_ctx):
    p = make_penalty(make_agency())
    with pytest.raises(ValidationError):
        services.withdraw_record(p, "  ")
    services.withdraw_record(p, "原处罚决定被撤销")
    db.session.commit()
    kept = db.session.get(Penalty, p.id)
    assert kept.status == "withdrawn" and kept.status_reason == "原处罚决定被撤销"
    assert kept.status_changed_at is not None
    assert not kept.is_public() and kept.unpublished_reason() == "withdrawn"
    assert db.session.scalar(db.select(Penalty).where(Penalty.public_filter())) is None


def test_repair_only_after_six_months(app_ctx):
    agency = make_agency()
    young = make_penalty(agency, decided_on=days_ago(100), published_on=days_ago(90))
    with pytest.raises(ValidationError) as exc:
        services.repair_record(young, "已履行")
    assert "6个月" in exc.value.errors["status"]
    old = make_penalty(agency, decided_on=days_ago(250), published_on=days_ago(200))
    services.repair_record(old, "已履行义务并作出信用承诺")
    assert old.status == "repaired" and old.unpublished_reason() == "repaired"


def test_repair_refused_for_revocation_and_for_list_entries(app_ctx):
    agency = make_agency()
    revoked = make_penalty(agency, penalty_kinds="吊销执业许可证", fine_amount=None,
                           decided_on=days_ago(400), published_on=days_ago(390))
    with pytest.raises(ValidationError):
        services.repair_record(revoked, "x")
    with pytest.raises(ValidationError):
        services.repair_record(make_list_entry(agency), "x")


def test_remove_list_entry_keeps_it_public(app_ctx):
    entry = make_list_entry(make_agency(), included_on=days_ago(60))
    with pytest.raises(ValidationError) as exc:
        services.remove_list_entry(entry, reason="不知道", removed_on=days_ago(70), authority=None)
    assert {"removal_reason", "removed_on"} <= set(exc.value.errors)
    services.remove_list_entry(entry, reason="已补报年度报告", removed_on=days_ago(10),
                               authority=None)
    assert entry.removed_on == days_ago(10) and entry.removal_authority == entry.inclusion_authority
    assert entry.is_public() and not entry.is_active


def test_upsert_agency_keeps_former_name(app_ctx):
    a = make_agency(name="太原甲知识产权代理有限公司")
    services.upsert_agency({"uscc": a.uscc, "name": "太原乙知识产权代理有限公司", "kind": "patent",
                            "division_code": "140105"})
    assert [f.name for f in a.former_names] == ["太原甲知识产权代理有限公司"]
    assert a.bureau.code == "140105"


def test_upsert_agency_rejects_unserved_or_unknown_division(app_ctx):
    with pytest.raises(ValidationError) as exc:
        make_agency(division_code="999999")
    assert "不存在" in exc.value.errors["division_code"]
    with pytest.raises(ValidationError) as exc:
        make_agency(division_code="110105")  # Beijing: no bureau on this portal
    assert "监管范围" in exc.value.errors["division_code"]


def test_update_record_recomputes_window(app_ctx):
    p = make_penalty(make_agency(), penalty_kinds="罚款", fine_amount="5000")
    assert p.publication_ends_on == add_months(p.published_on, 3) - dt.timedelta(days=1)
    services.update_record(p, {"fine_amount": "500000"})
    assert p.publication_ends_on == add_months(p.published_on, 36) - dt.timedelta(days=1)


def test_expired_and_scheduled_are_not_public(app_ctx):
    a = make_agency()
    expired = make_penalty(a, penalty_kinds="通报批评", fine_amount=None,
                           decided_on=days_ago(200), published_on=days_ago(190))
    scheduled = make_penalty(a, decided_on=days_ago(1), published_on=days_ago(-3))
    assert expired.unpublished_reason() == "expired"
    assert scheduled.unpublished_reason() == "scheduled"
    assert db.session.scalar(db.select(db.func.count()).select_from(Agency)) == 1


def test_update_record_can_move_to_another_agency_by_uscc(app_ctx):
    a, b = make_agency(), make_agency()
    p = make_penalty(a)
    services.update_record(p, {"party_uscc": b.uscc, "party_name": b.name})
    assert p.agency is b
    from tests.factories.register import make_spot_check

    check = make_spot_check(a)
    services.update_record(check, {"agency_uscc": b.uscc})
    assert check.agency is b
