"""statistics and supervision (issue 17): covering indexes for the public statistics

Revision ID: d17f2a6b9c04
Revises: c13d5e8f1a03
Create Date: 2026-12-01 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd17f2a6b9c04'
down_revision = 'c13d5e8f1a03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.create_index('ix_tip_statistics_received',
                              ['created_at', 'category', 'bureau_id', 'outcome', 'status',
                               'accepted_at', 'concluded_at', 'accept_due', 'verify_due',
                               'division_code', 'operator_division_code', 'agency_id'],
                              unique=False)
        batch_op.create_index('ix_tip_statistics_concluded',
                              ['concluded_at', 'outcome', 'status', 'agency_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.drop_index('ix_tip_statistics_concluded')
        batch_op.drop_index('ix_tip_statistics_received')
