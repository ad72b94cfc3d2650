"""Indexes that serve the statistics (issue 17), on the China-time days and working-day
durations a tip keeps for them (intake.durations).  Each query of the public page reads
one of them and never the tip rows.  The grouped counts read an index whose columns
start with the GROUP BY keys, in that order, testing the received day as they go:
SQLite has no hash aggregation, and sorting the rows of a range costs more than
scanning an index in group order (``queries.scanned`` keeps its planner from seeking the
range instead); PostgreSQL hashes either way."""

from __future__ import annotations

from sqlalchemy import Index

from intake.models import Tip

# Tips received per day.
RECEIVED_INDEX = Index("ix_tip_statistics_received", Tip.received_on)
# Counts by category, bureau, outcome and status with the timeliness of each.
DIMENSIONS_INDEX = Index(
    "ix_tip_statistics_dimensions", Tip.category, Tip.bureau_id, Tip.outcome, Tip.status,
    Tip.received_on, Tip.accepted_on, Tip.accept_due, Tip.concluded_on, Tip.verify_due)
# Working days to accept and to conclude (the medians).
DURATIONS_INDEX = Index("ix_tip_statistics_durations", Tip.accept_working_days,
                        Tip.conclude_working_days, Tip.received_on)
# Places: the conduct's division, the operator's, the agency's.
PLACES_INDEX = Index("ix_tip_statistics_places", Tip.division_code,
                     Tip.operator_division_code, Tip.agency_id, Tip.received_on)
# Tips against each agency (complaints per 1,000 practising agents).
AGENCIES_INDEX = Index("ix_tip_statistics_agencies", Tip.agency_id, Tip.received_on)
# Tips concluded per day.
CONCLUDED_INDEX = Index("ix_tip_statistics_concluded", Tip.concluded_on)
# Substantiated, concluded tips per agency.
OUTCOMES_INDEX = Index("ix_tip_statistics_outcomes", Tip.outcome, Tip.status,
                       Tip.concluded_on, Tip.agency_id)

INDEXES = (RECEIVED_INDEX, DIMENSIONS_INDEX, DURATIONS_INDEX, PLACES_INDEX, AGENCIES_INDEX,
           CONCLUDED_INDEX, OUTCOMES_INDEX)
