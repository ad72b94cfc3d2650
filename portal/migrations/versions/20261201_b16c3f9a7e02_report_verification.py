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
    op.create_table('issued_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('permalink', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_report')),
    sa.UniqueConstraint('code', name=op.f('uq_issued_report_code'))
    )
    op.create_table('site_text',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_site_text_updated_by_id_staff_user')),
    sa.PrimaryKeyConstraint('key', 'locale', name=op.f('pk_site_text'))
    )


def downgrade():
    op.drop_table('site_text')
    op.drop_table('issued_report')
