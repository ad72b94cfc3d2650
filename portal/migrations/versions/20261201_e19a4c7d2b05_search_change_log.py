"""search change log: every change to a searchable row, written in its transaction (issue 19)

Revision ID: e19a4c7d2b05
Revises: d17f2a6b9c04
Create Date: 2026-12-01 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e19a4c7d2b05'
down_revision = 'd17f2a6b9c04'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_change'))
    )
    with op.batch_alter_table('search_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_change_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('search_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_change_at'))
    op.drop_table('search_change')
