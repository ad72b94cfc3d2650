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
    op.create_table(
        'typical_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=True),
        sa.Column('bureau_id', sa.Integer(), nullable=False),
        sa.Column('publisher_kind', sa.String(length=12), nullable=False),
        sa.Column('publisher_name', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('status_changed_at', sa.DateTime(), nullable=True),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'], name=op.f('fk_typical_case_bureau_id_bureau')),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_typical_case_created_by_id_staff_user')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_typical_case_updated_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_typical_case')),
    )
    with op.batch_alter_table('typical_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_typical_case_bureau_id'), ['bureau_id'], unique=False)
        batch_op.create_index('ix_typical_case_status_published_on', ['status', 'published_on'], unique=False)
    op.create_table(
        'typical_case_tag',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['typical_case.id'], name=op.f('fk_typical_case_tag_case_id_typical_case'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'tag', name=op.f('pk_typical_case_tag')),
    )
    with op.batch_alter_table('typical_case_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_typical_case_tag_tag'), ['tag'], unique=False)
    op.create_table(
        'typical_case_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['typical_case.id'], name=op.f('fk_typical_case_link_case_id_typical_case'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_typical_case_link')),
        sa.UniqueConstraint('case_id', 'kind', 'record_id', name=op.f('uq_typical_case_link_case_id')),
    )
    with op.batch_alter_table('typical_case_link', schema=None) as batch_op:
        batch_op.create_index('ix_typical_case_link_target', ['kind', 'record_id'], unique=False)
    op.create_table(
        'typical_case_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_typical_case_event_actor_id_staff_user')),
        sa.ForeignKeyConstraint(['case_id'], ['typical_case.id'], name=op.f('fk_typical_case_event_case_id_typical_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_typical_case_event')),
    )
    with op.batch_alter_table('typical_case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_typical_case_event_case_id'), ['case_id'], unique=False)


def downgrade():
    op.drop_table('typical_case_event')
    op.drop_table('typical_case_link')
    op.drop_table('typical_case_tag')
    op.drop_table('typical_case')
