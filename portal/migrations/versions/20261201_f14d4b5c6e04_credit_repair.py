"""credit repair applications (信用修复) (issue 14)

Revision ID: f14d4b5c6e04
Revises: e14c3a4b5d03
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f14d4b5c6e04'
down_revision = 'e14c3a4b5d03'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
