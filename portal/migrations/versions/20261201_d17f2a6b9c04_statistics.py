"""statistics and supervision (issue 17)

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
    pass


def downgrade():
    pass
