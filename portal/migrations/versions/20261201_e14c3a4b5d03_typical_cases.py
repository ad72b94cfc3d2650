"""typical cases (典型案例) (issue 14)

Revision ID: e14c3a4b5d03
Revises: d14b2f3a4c02
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e14c3a4b5d03'
down_revision = 'd14b2f3a4c02'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
