"""patent agents (专利代理师), their practice history, penalties against an agent (issue 14)

Revision ID: c14a1e2f3b01
Revises: b9d4e6f0a208
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c14a1e2f3b01'
down_revision = 'b9d4e6f0a208'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('certificate_no', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=15), nullable=False),
        sa.Column('certified_on', sa.Date(), nullable=True),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agent_agency_id_agency')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agent')),
        sa.UniqueConstraint('certificate_no', name=op.f('uq_agent_certificate_no')),
    )
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_name'), ['name'], unique=False)
    op.create_table(
        'agent_practice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_agent_practice_agent_id_agent'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agent_practice_agency_id_agency')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_practice')),
    )
    with op.batch_alter_table('agent_practice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_practice_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index('ix_agent_practice_agency', ['agency_id', 'started_on'], unique=False)
    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_penalty_agent_id'), ['agent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_penalty_agent_id_agent'), 'agent', ['agent_id'], ['id'])


def downgrade():
    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_penalty_agent_id_agent'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_penalty_agent_id'))
        batch_op.drop_column('agent_id')
    op.drop_table('agent_practice')
    op.drop_table('agent')
