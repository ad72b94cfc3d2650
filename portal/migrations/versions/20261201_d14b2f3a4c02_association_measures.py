"""association self-discipline measures and the association publisher (issue 14)

Revision ID: d14b2f3a4c02
Revises: c14a1e2f3b01
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd14b2f3a4c02'
down_revision = 'c14a1e2f3b01'
branch_labels = None
depends_on = None

# The measures of the association's rules (portal.association.measure_kinds.DEFAULT_KINDS,
# copied: a migration does not import the application).
DEFAULT_KINDS = (
    ('interview', '约谈', 'Admonitory talk', 10),
    ('admonition', '训诫', 'Reprimand', 20),
    ('warning', '警告', 'Warning', 30),
    ('circulated_criticism', '通报批评', 'Circulated criticism', 40),
    ('public_censure', '公开谴责', 'Public censure', 50),
    ('membership_suspended', '暂停会员权利', 'Suspension of membership rights', 60),
    ('membership_revoked', '取消会员资格', 'Expulsion from membership', 70),
)


def upgrade():
    # "association" does not fit the role columns' 10 characters.
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=10),
                              type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('role_setting', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=10),
                              type_=sa.String(length=20), existing_nullable=False)

    kinds = op.create_table(
        'association_measure_kind',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=30), nullable=False),
        sa.Column('name_zh', sa.String(length=40), nullable=False),
        sa.Column('name_en', sa.String(length=80), nullable=False),
        sa.Column('severity', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_association_measure_kind')),
        sa.UniqueConstraint('key', name=op.f('uq_association_measure_kind_key')),
        sa.UniqueConstraint('name_zh', name=op.f('uq_association_measure_kind_name_zh')),
    )
    op.bulk_insert(kinds, [
        {'key': key, 'name_zh': name_zh, 'name_en': name_en, 'severity': severity,
         'active': True}
        for key, name_zh, name_en, severity in DEFAULT_KINDS])

    op.create_table(
        'association_measure',
        sa.Column('measure_key', sa.String(length=300), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('party_name', sa.String(length=200), nullable=False),
        sa.Column('party_uscc', sa.String(length=18), nullable=True),
        sa.Column('agent_certificate_no', sa.String(length=40), nullable=True),
        sa.Column('measure', sa.String(length=30), nullable=False),
        sa.Column('facts', sa.Text(), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('decision_number', sa.String(length=80), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority', sa.String(length=120), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('publication_ends_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('status_changed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('bureau_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('status_changed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                                name=op.f('fk_association_measure_agency_id_agency')),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_association_measure_agent_id_agent')),
        sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'],
                                name=op.f('fk_association_measure_bureau_id_bureau')),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'],
                                name=op.f('fk_association_measure_created_by_id_staff_user')),
        sa.ForeignKeyConstraint(['status_changed_by_id'], ['staff_user.id'],
                                name=op.f('fk_association_measure_status_changed_by_id_staff_user')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'],
                                name=op.f('fk_association_measure_updated_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_association_measure')),
        sa.UniqueConstraint('measure_key', name=op.f('uq_association_measure_measure_key')),
    )
    with op.batch_alter_table('association_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_association_measure_agency_id'), ['agency_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_association_measure_agent_id'), ['agent_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_association_measure_bureau_id'), ['bureau_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_association_measure_decided_on'), ['decided_on'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_association_measure_measure'), ['measure'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_association_measure_published_on'),
                              ['published_on'], unique=False)


def downgrade():
    op.drop_table('association_measure')
    op.drop_table('association_measure_kind')
    op.execute("DELETE FROM staff_user WHERE role = 'association'")
    op.execute("DELETE FROM role_setting WHERE role = 'association'")
    with op.batch_alter_table('role_setting', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=20),
                              type_=sa.String(length=10), existing_nullable=False)
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=20),
                              type_=sa.String(length=10), existing_nullable=False)
