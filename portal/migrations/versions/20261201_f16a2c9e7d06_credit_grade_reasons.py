"""credit grades keep the reasons published with them (issue 16)

Revision ID: f16a2c9e7d06
Revises: e19a4c7d2b05
Create Date: 2026-12-01 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16a2c9e7d06'
down_revision = 'e19a4c7d2b05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_grade', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reasons', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('credit_grade', schema=None) as batch_op:
        batch_op.drop_column('reasons')
