"""tip events stored as keys and parameters (issue 18)

Revision ID: a18e7c2d4b01
Revises: 9b4d2e7f1a6c
Create Date: 2026-12-01 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a18e7c2d4b01'
down_revision = '9b4d2e7f1a6c'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
