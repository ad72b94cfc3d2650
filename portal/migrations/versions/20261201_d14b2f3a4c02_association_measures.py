"""association self-discipline measures and the association publisher (issue 14)

Revision ID: d14b2f3a4c02
Revises: c14a1e2f3b01
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd14b2f3a4c02'
down_revision = 'c14a1e2f3b01'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
