"""stored derived columns and indexes for the public pages' speed (issue 19)

An agency's current grade, active-listing flag and the day they may next change
(``portal.register.derived``), backfilled from the records; the index the directory's
grade filter walks.

Revision ID: b9d4e6f0a208
Revises: a7b3c5d9e107
Create Date: 2026-12-01 08:00:00

"""
import datetime as dt
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9d4e6f0a208'
down_revision = 'a7b3c5d9e107'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_grade', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('active_listing', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('derived_until', sa.Date(), nullable=True))
        batch_op.create_index('ix_agency_current_grade_name', ['current_grade', 'name'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_agency_derived_until'), ['derived_until'],
                              unique=False)
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_derived_until'))
        batch_op.drop_index('ix_agency_current_grade_name')
        batch_op.drop_column('derived_until')
        batch_op.drop_column('active_listing')
        batch_op.drop_column('current_grade')


# -- backfill: the rule of portal.register.derived, restated (a migration must not follow
# later changes of the application code) ----------------------------------------------

agency = sa.table('agency', sa.column('id', sa.Integer), sa.column('current_grade', sa.String),
                  sa.column('active_listing', sa.Boolean), sa.column('derived_until', sa.Date))
grade_t = sa.table('credit_grade', sa.column('agency_id', sa.Integer),
                   sa.column('period', sa.String), sa.column('grade', sa.String),
                   sa.column('status', sa.String), sa.column('published_on', sa.Date),
                   sa.column('publication_ends_on', sa.Date))
entry_t = sa.table('list_entry', sa.column('agency_id', sa.Integer),
                   sa.column('status', sa.String), sa.column('published_on', sa.Date),
                   sa.column('publication_ends_on', sa.Date), sa.column('removed_on', sa.Date))


def _public(status, published_on, ends, on):
    return status == 'published' and published_on <= on and (ends is None or ends >= on)


def _next_change(status, published_on, ends, on):
    if status != 'published':
        return None
    if published_on > on:
        return published_on
    if ends is not None and ends >= on:
        return ends + dt.timedelta(days=1)
    return None


def _backfill(conn):
    on = dt.datetime.now(ZoneInfo('Asia/Shanghai')).date()
    state = {}  # agency id -> [grade period, grade, active, changes]
    for agency_id, period, grade, status, published_on, ends in conn.execute(
            sa.select(grade_t.c.agency_id, grade_t.c.period, grade_t.c.grade, grade_t.c.status,
                      grade_t.c.published_on, grade_t.c.publication_ends_on)):
        s = state.setdefault(agency_id, [None, None, False, []])
        if _public(status, published_on, ends, on) and (s[0] is None or period > s[0]):
            s[0], s[1] = period, grade
        if (day := _next_change(status, published_on, ends, on)) is not None:
            s[3].append(day)
    for agency_id, status, published_on, ends, removed_on in conn.execute(
            sa.select(entry_t.c.agency_id, entry_t.c.status, entry_t.c.published_on,
                      entry_t.c.publication_ends_on, entry_t.c.removed_on)):
        if removed_on is not None:
            continue
        s = state.setdefault(agency_id, [None, None, False, []])
        s[2] = s[2] or _public(status, published_on, ends, on)
        if (day := _next_change(status, published_on, ends, on)) is not None:
            s[3].append(day)
    rows = [{'b_id': agency_id, 'b_grade': s[1], 'b_active': s[2],
             'b_until': min(s[3], default=None)}
            for agency_id, s in state.items() if s[1] is not None or s[2] or s[3]]
    stmt = (agency.update().where(agency.c.id == sa.bindparam('b_id'))
            .values(current_grade=sa.bindparam('b_grade'), active_listing=sa.bindparam('b_active'),
                    derived_until=sa.bindparam('b_until')))
    for start in range(0, len(rows), BATCH):
        conn.execute(stmt, rows[start:start + BATCH])
