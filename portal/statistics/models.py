"""Indexes that serve the statistics (issue 17): every query of the public page scans one
of them, by received or concluded date, without reading the tip rows themselves."""

from __future__ import annotations

from sqlalchemy import Index

from intake.models import Tip

# The tips received in a period: dimensions, deadlines and places (a covering index).
RECEIVED_INDEX = Index(
    "ix_tip_statistics_received", Tip.created_at, Tip.category, Tip.bureau_id, Tip.outcome,
    Tip.status, Tip.accepted_at, Tip.concluded_at, Tip.accept_due, Tip.verify_due,
    Tip.division_code, Tip.operator_division_code, Tip.agency_id)
# The tips concluded in a period (monthly conclusions, agencies with substantiated tips).
CONCLUDED_INDEX = Index(
    "ix_tip_statistics_concluded", Tip.concluded_at, Tip.outcome, Tip.status, Tip.agency_id)
