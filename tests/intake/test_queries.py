"""Reading tips: the SQL deadline and overdue twins, likely duplicates."""

import datetime as dt

from intake import queries, workflow
from intake.models import Tip
from portal.extensions import db
from tests.factories.intake import make_tip
from tests.factories.register import make_agency

D = dt.date


def test_overdue_clause_agrees_with_workflow_is_overdue(app_ctx):
    tips = [make_tip(with_file=False).tip for _ in range(4)]
    # Received tips run on the acceptance deadline; on 2026-02-24 (a Tuesday after the
    # Spring Festival) 02-14 (make-up Saturday) has passed, 02-24 is due today.
    for tip, due in zip(tips, (D(2026, 2, 13), D(2026, 2, 14), D(2026, 2, 24), D(2026, 3, 2)),
                        strict=True):
        tip.accept_due = due
    db.session.commit()
    on = D(2026, 2, 24)
    overdue = set(db.session.scalars(db.select(Tip.id).where(queries.overdue_clause(on))))
    assert overdue == {t.id for t in tips if workflow.is_overdue(t, on)}
    assert overdue == {tips[0].id, tips[1].id}


def test_likely_duplicates_are_within_the_window(app_ctx):
    agency = make_agency(division_code="140121")
    moments = [dt.datetime(2026, 3, 1, 2), dt.datetime(2026, 3, 20, 2),
               dt.datetime(2026, 5, 1, 2)]
    tips = []
    for moment in moments:
        with workflow.at(moment):
            tips.append(make_tip(agency=agency, with_file=False).tip)
    first, second, late = tips
    assert second.likely_duplicate_of == first  # flagged on submission
    assert late.likely_duplicate_of is None  # 42 days after the latest one
    assert queries.likely_duplicates(first) == [second]
    assert queries.likely_duplicates(second) == [first]
    assert queries.likely_duplicates(late) == []
    assert queries.DUPLICATE_WINDOW_DAYS == 30
