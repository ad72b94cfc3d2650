"""report verification codes (issue 16)

Revision ID: b16c3f9a7e02
Revises: a18e7c2d4b01
Create Date: 2026-12-01 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16c3f9a7e02'
down_revision = 'a18e7c2d4b01'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
