"""tips keep their China-time days and working-day durations for the statistics (issue 17)

Revision ID: a7b3c5d9e107
Revises: f16a2c9e7d06
Create Date: 2026-12-01 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b3c5d9e107'
down_revision = 'f16a2c9e7d06'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
