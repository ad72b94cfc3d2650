"""Readiness: the database, the search index's lag and the outbox, as one report."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.extensions import db
from portal.timeutil import utcnow


def state(app) -> dict:
    """Figures for readiness and metrics; ``database`` False when it does not answer."""
    out: dict = {"database": False}
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT 1"))
            out["database"] = True
            out.update(_tips_and_outbox())  # also proves the schema is there
        except sa.exc.SQLAlchemyError as exc:
            out["database_error"] = type(exc).__name__
            db.session.rollback()
            return out
        finally:
            db.session.remove()
        out.update(_index())
    return out


def _tips_and_outbox() -> dict:
    from intake.models import OutboxMail, Tip

    waiting = sa.and_(OutboxMail.sent_at.is_(None), OutboxMail.dead_at.is_(None))
    oldest = db.session.scalar(sa.select(sa.func.min(OutboxMail.created_at)).where(waiting))
    return {
        "tips": db.session.scalar(sa.select(sa.func.count()).select_from(Tip)) or 0,
        "outbox_waiting": db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMail).where(waiting)) or 0,
        "outbox_dead": db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMail)
            .where(OutboxMail.dead_at.isnot(None))) or 0,
        "outbox_oldest_minutes": (round((utcnow() - oldest).total_seconds() / 60, 1)
                                  if oldest else 0.0),
    }


def _index() -> dict:
    from search import changes

    try:
        lag = changes.lag_seconds()
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        return {"index_error": type(exc).__name__}
    return {"index_lag_seconds": round(lag, 1)}


def readiness(app) -> tuple[bool, dict]:
    """(ready, report): what is wrong is named in ``problems``."""
    report = state(app)
    problems = []
    if not report["database"]:
        problems.append("database unreachable")
    elif "database_error" in report:
        problems.append(f"database query failed ({report['database_error']}): is the schema "
                        "migrated (`portal db upgrade`)?")
    else:
        lag = report.get("index_lag_seconds")
        if "index_error" in report:
            problems.append("search index unreadable")
        elif lag is not None and lag > app.config["READY_MAX_INDEX_LAG_SECONDS"]:
            problems.append(f"search index {lag:.0f} s behind the change log")
        limit = app.config["READY_MAX_OUTBOX_AGE_MINUTES"]
        if report.get("outbox_oldest_minutes", 0) > limit:
            problems.append(f"outbox stuck: a mail has waited over {limit} minutes")
    report["problems"] = problems
    report["checked_at"] = utcnow().replace(tzinfo=dt.UTC).isoformat(timespec="seconds")
    return not problems, report
