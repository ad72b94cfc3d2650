"""stored derived columns and indexes for the public pages' speed (issue 19)

Revision ID: b9d4e6f0a208
Revises: a7b3c5d9e107
Create Date: 2026-12-01 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9d4e6f0a208'
down_revision = 'a7b3c5d9e107'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
