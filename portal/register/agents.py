"""Patent agents (专利代理师): the register's writes about a person, and the one rule of
their practice history.

An agent's ``agency_id`` is the agency they practise in now; ``AgentPractice`` rows are
the periods of their practice, one per agency in turn.  ``move_agent`` is the only code
that changes an agent's agency: it closes the open period and opens the next one.
Periods run from ``started_on`` (inclusive) to ``ended_on`` (exclusive: the day the agent
left is the first day of the next period), None meaning "not known" at the start and
"still practising there" at the end.  ``agency_on`` answers where an agent practised on a
given day (a penalty's or a measure's decision date).

Only what the national system publishes about a person is kept: name, certificate
number, agency, status and dates.  Services validate, write, record the history
(``RegisterEvent`` with subject "agent") and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import or_, select

from ..extensions import db
from ..timeutil import today as today_cn
from .cleaning import ValidationError, _
from .models import Agency, Agent, AgentPractice

SUBJECT = "agent"  # RegisterEvent.subject of an agent's history
# Fields written as they are (the agency follows the practice rule).
AGENT_FIELDS = ("name", "status", "certified_on")
TRACKED = (*AGENT_FIELDS, "agency")


def normalize_certificate(value: object) -> str:
    """The one spelling of a certificate number: NFKC, upper case, no spaces."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    if text.endswith(".0") and text[:-2].isdigit():  # a number cell from Excel
        text = text[:-2]
    return "".join(text.split()).upper()


def find_agent(certificate_no: object) -> Agent | None:
    number = normalize_certificate(certificate_no)
    if not number:
        return None
    return db.session.scalar(select(Agent).where(Agent.certificate_no == number))


# -- the practice history ----------------------------------------------------------

def _open_practices(agent: Agent) -> list[AgentPractice]:
    return [p for p in agent.practices if p.ended_on is None]


def move_agent(agent: Agent, agency: Agency | None, on: dt.date | None = None) -> bool:
    """Make ``agency`` the agent's agency from ``on`` (default today): the open period
    ends on that day and, when there is a new agency, a new period starts on it.
    Returns whether anything changed."""
    current = agent.agency_id
    new = agency.id if agency is not None else None
    if current == new and (new is None or _open_practices(agent)):
        return False
    on = on or today_cn()
    problem = move_problem(agent, on)
    if problem:
        raise ValidationError({"practice_since": problem})
    for practice in _open_practices(agent):
        practice.ended_on = on
    if agency is not None:
        agent.practices.append(AgentPractice(agency=agency, started_on=on))
    agent.agency = agency
    return current != new


def move_problem(agent: Agent, on: dt.date | None) -> str | None:
    """Why the agent cannot change agency on ``on`` (None: it can): the open period
    would end before it began."""
    on = on or today_cn()
    for practice in _open_practices(agent):
        if practice.started_on is not None and practice.started_on > on:
            return _("变更日期不能早于当前执业机构的执业起始日期（%(d)s）",
                     d=practice.started_on.isoformat())
    return None


def agency_on(agent: Agent | None, day: dt.date | None) -> Agency | None:
    """The agency ``agent`` practised in on ``day`` (from the practice history); None when
    the history has no period covering that day."""
    if agent is None or day is None or agent.id is None:
        return None
    found = db.session.scalar(
        select(Agency).join(AgentPractice, AgentPractice.agency_id == Agency.id)
        .where(AgentPractice.agent_id == agent.id,
               or_(AgentPractice.started_on.is_(None), AgentPractice.started_on <= day),
               or_(AgentPractice.ended_on.is_(None), AgentPractice.ended_on > day))
        .order_by(AgentPractice.started_on.desc(), AgentPractice.id.desc()).limit(1))
    if found is None and not agent.practices:
        return agent.agency  # no history at all: the current agency is all that is known
    return found


# -- writes ------------------------------------------------------------------------------

def _snapshot(agent: Agent) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in TRACKED:
        value = getattr(agent, field)
        if isinstance(value, Agency):
            value = value.uscc
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[field] = value
    return out


def agent_changes(agent: Agent, values: Mapping[str, Any],
                  fields: Collection[str] | None = None) -> dict[str, tuple[Any, Any]]:
    """What saving cleaned ``values`` would change (field -> (old, new)); ``fields`` limits
    it to the columns given (an import file's columns)."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field in AGENT_FIELDS:
        if (fields is None or field in fields) and getattr(agent, field) != values[field]:
            changes[field] = (getattr(agent, field), values[field])
    if fields is None or "agency_uscc" in fields:
        agency = values.get("agency")
        new_id = agency.id if agency is not None else None
        if agent.agency_id != new_id:
            changes["agency"] = (agent.agency_id, new_id)
    return changes


def save_agent(values: Mapping[str, Any], *, actor: Any = None,
               fields: Collection[str] | None = None, agent: Agent | None = None) -> Agent:
    """Create or update the agent with cleaned ``values`` (``kinds.AGENT.clean``), keyed by
    the certificate number; ``fields`` limits what an update writes.  A change of agency
    goes through ``move_agent`` (on ``practice_since``, default today).  Appends the
    agent's history; flushes."""
    from .services import record_event

    agent = agent or find_agent(values["certificate_no"])
    created = agent is None
    if agent is None:
        agent = Agent(certificate_no=values["certificate_no"])
        db.session.add(agent)
        fields = None
    before = None if created else _snapshot(agent)
    for field in AGENT_FIELDS:
        if fields is None or field in fields:
            setattr(agent, field, values[field])
    if fields is None or "agency_uscc" in fields:
        since = values.get("practice_since")
        if created and since is None:
            since = values.get("certified_on")  # new: since first certified, if known
            _first_period(agent, values.get("agency"), since)
        else:
            move_agent(agent, values.get("agency"), since)
    db.session.flush()
    if created:
        record_event(SUBJECT, agent.id, "registered", actor=actor)
    else:
        after = _snapshot(agent)
        changed = {f: (before[f], after[f]) for f in TRACKED if before[f] != after[f]}
        if changed:
            record_event(SUBJECT, agent.id, "changed", actor=actor, changes=changed)
    return agent


def _first_period(agent: Agent, agency: Agency | None, since: dt.date | None) -> None:
    """The first period of a newly registered agent (its start may be unknown: None)."""
    if agency is not None:
        agent.practices.append(AgentPractice(agency=agency, started_on=since))
    agent.agency = agency


__all__ = ["agency_on", "agent_changes", "find_agent", "move_agent", "move_problem",
           "normalize_certificate", "save_agent"]
