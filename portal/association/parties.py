"""The party of a measure: a registered agency, or a registered patent agent and the
agency the agent practised in on the date of the decision.  The rules are the agents
feature's (``portal.register.agents``): one place for each."""

from __future__ import annotations

import datetime as dt

from ..register.agents import agency_on
from ..register.agents import find_agent as _find_agent
from ..register.models import Agency, Agent


def find_agent(certificate_no: str) -> Agent | None:
    """The agent with 执业证号 ``certificate_no`` (in any spelling of the number)."""
    return _find_agent(certificate_no)


def agency_at(agent: Agent, on: dt.date | None) -> Agency | None:
    """The agency ``agent`` practised in on ``on``; with no practice history at all, the
    agent's current agency; None when the history has no period covering the day."""
    if on is None:
        return agent.agency
    return agency_on(agent, on)
