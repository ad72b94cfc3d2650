"""security hardening: login throttle, per-province calendar days

- login_throttle: failed sign-ins per e-mail and per e-mail + address (replaces the
  per-account hard lock: staff_user.failed_logins / locked_until go);
- calendar_day.province: "" for every province (the existing rows), or a province code;
  the primary key becomes (day, province).

Revision ID: 5ec0a1d2b3c4
Revises: 3e0206c1c113
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ec0a1d2b3c4'
down_revision = '3e0206c1c113'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sa.String(length=6), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint('pk_calendar_day', type_='primary')
        batch_op.create_primary_key('pk_calendar_day', ['day', 'province'])


def downgrade():
    # Province rows cannot all fit the one-row-per-day table: keep the nationwide ones.
    op.execute("DELETE FROM calendar_day WHERE province <> ''")
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.drop_constraint('pk_calendar_day', type_='primary')
        batch_op.create_primary_key('pk_calendar_day', ['day'])
        batch_op.drop_column('province')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.drop_table('login_throttle')
