"""tips keep their China-time days and working-day durations for the statistics (issue 17)

Adds tip.received_on, accepted_on, concluded_on (the days in China, UTC+8) and
accept_working_days, conclude_working_days (working days from receipt, in the nationwide
calendar: chinese-calendar corrected by the nationwide calendar_day rows, Monday to
Friday for years it does not cover), backfilled in batches that work on SQLite and
PostgreSQL, and moves the statistics indexes onto the days.  Self-contained on purpose
(no application imports): ``portal tips recount`` recounts with the application's code.

Revision ID: a7b3c5d9e107
Revises: f16a2c9e7d06
Create Date: 2026-12-01 07:00:00

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b3c5d9e107'
down_revision = 'f16a2c9e7d06'
branch_labels = None
depends_on = None

BATCH = 5000
CHINA = dt.timedelta(hours=8)  # Asia/Shanghai: no daylight saving since 1991
# portal/statistics/models.py: each grouped count reads one index in GROUP BY order.
INDEXES = {
    'ix_tip_statistics_received': ['received_on'],
    'ix_tip_statistics_dimensions': ['category', 'bureau_id', 'outcome', 'status',
                                     'received_on', 'accepted_on', 'accept_due',
                                     'concluded_on', 'verify_due'],
    'ix_tip_statistics_durations': ['accept_working_days', 'conclude_working_days',
                                    'received_on'],
    'ix_tip_statistics_places': ['division_code', 'operator_division_code', 'agency_id',
                                 'received_on'],
    'ix_tip_statistics_agencies': ['agency_id', 'received_on'],
    'ix_tip_statistics_concluded': ['concluded_on'],
    'ix_tip_statistics_outcomes': ['outcome', 'status', 'concluded_on', 'agency_id'],
}


def upgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('accepted_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('concluded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('accept_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('conclude_working_days', sa.Integer(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.alter_column('received_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_index('ix_tip_statistics_received')
        batch_op.drop_index('ix_tip_statistics_concluded')
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
        batch_op.create_index('ix_tip_statistics_received',
                              ['created_at', 'category', 'bureau_id', 'outcome', 'status',
                               'accepted_at', 'concluded_at', 'accept_due', 'verify_due',
                               'division_code', 'operator_division_code', 'agency_id'],
                              unique=False)
        batch_op.create_index('ix_tip_statistics_concluded',
                              ['concluded_at', 'outcome', 'status', 'agency_id'], unique=False)
        batch_op.drop_column('conclude_working_days')
        batch_op.drop_column('accept_working_days')
        batch_op.drop_column('concluded_on')
        batch_op.drop_column('accepted_on')
        batch_op.drop_column('received_on')


# -- the backfill ---------------------------------------------------------------------

def _day(moment):
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite without type information
        moment = dt.datetime.fromisoformat(moment)
    return (moment + CHINA).date()


class _Calendar:
    """Working days in (a, b] in the nationwide calendar."""

    def __init__(self, bind):
        import chinese_calendar

        self._builtin = chinese_calendar.is_workday
        self._override = {}
        for day, workday in bind.execute(sa.text(
                "SELECT day, workday FROM calendar_day WHERE province = ''")):
            day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
            self._override[day] = bool(workday)
        self._known = {}

    def working(self, day):
        if day in self._override:
            return self._override[day]
        if day not in self._known:
            try:
                self._known[day] = bool(self._builtin(day))
            except NotImplementedError:  # a year chinese-calendar does not cover
                self._known[day] = day.weekday() < 5
        return self._known[day]

    def between(self, a, b):
        if a is None or b is None:
            return None
        sign, (a, b) = (1, (a, b)) if a <= b else (-1, (b, a))
        return sign * sum(self.working(a + dt.timedelta(days=i))
                          for i in range(1, (b - a).days + 1))


def _backfill(bind):
    calendar = _Calendar(bind)
    update = sa.text(
        "UPDATE tip SET received_on = :received, accepted_on = :accepted, "
        "concluded_on = :concluded, accept_working_days = :accept, "
        "conclude_working_days = :conclude WHERE id = :tip_id").bindparams(
        sa.bindparam('received', type_=sa.Date()), sa.bindparam('accepted', type_=sa.Date()),
        sa.bindparam('concluded', type_=sa.Date()))
    select = sa.text(
        "SELECT id, created_at, accepted_at, concluded_at FROM tip WHERE id > :after "
        "ORDER BY id LIMIT :batch").columns(
        sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
        sa.column('accepted_at', sa.DateTime()), sa.column('concluded_at', sa.DateTime()))
    after = 0
    while True:
        rows = bind.execute(select, {'after': after, 'batch': BATCH}).all()
        if not rows:
            return
        after = rows[-1][0]
        values = []
        for tip_id, created, accepted, concluded in rows:
            received, accepted, concluded = _day(created), _day(accepted), _day(concluded)
            values.append({'tip_id': tip_id, 'received': received, 'accepted': accepted,
                           'concluded': concluded,
                           'accept': calendar.between(received, accepted),
                           'conclude': calendar.between(received, concluded)})
        bind.execute(update, values)
