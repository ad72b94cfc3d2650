"""reporter channel: messages, notifications, encryption, audit (issue 13)

Revision ID: c13d5e8f1a03
Revises: b16c3f9a7e02
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13d5e8f1a03'
down_revision = 'b16c3f9a7e02'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
