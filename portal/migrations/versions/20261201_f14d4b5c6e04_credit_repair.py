"""credit repair applications (信用修复) (issue 14)

Revision ID: f14d4b5c6e04
Revises: e14c3a4b5d03
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f14d4b5c6e04'
down_revision = 'e14c3a4b5d03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'repair_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('tracking_hash', sa.String(length=64), nullable=False),
        sa.Column('record_kind', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('open_key', sa.String(length=40), nullable=True),
        sa.Column('submission_hash', sa.String(length=64), nullable=True),
        sa.Column('sealed_code', sa.Text(), nullable=True),
        sa.Column('sealed_until', sa.DateTime(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('applicant_uscc', sa.String(length=18), nullable=False),
        sa.Column('licence_no', sa.String(length=40), nullable=True),
        sa.Column('contact_name', sa.LargeBinary(), nullable=False),
        sa.Column('contact_phone', sa.LargeBinary(), nullable=True),
        sa.Column('contact_email', sa.LargeBinary(), nullable=True),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('bureau_id', sa.Integer(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('identity_verified_at', sa.DateTime(), nullable=True),
        sa.Column('identity_verified_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                                name=op.f('fk_repair_application_agency_id_agency')),
        sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'],
                                name=op.f('fk_repair_application_bureau_id_bureau')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'],
                                name=op.f('fk_repair_application_decided_by_id_staff_user')),
        sa.ForeignKeyConstraint(['identity_verified_by_id'], ['staff_user.id'],
                                name=op.f('fk_repair_application_identity_verified_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_application')),
        sa.UniqueConstraint('open_key', name=op.f('uq_repair_application_open_key')),
        sa.UniqueConstraint('reference', name=op.f('uq_repair_application_reference')),
        sa.UniqueConstraint('submission_hash',
                            name=op.f('uq_repair_application_submission_hash')),
        sa.UniqueConstraint('tracking_hash', name=op.f('uq_repair_application_tracking_hash')),
    )
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_application_agency_id'), ['agency_id'],
                              unique=False)
        batch_op.create_index('ix_repair_application_record', ['record_kind', 'record_id'],
                              unique=False)
        batch_op.create_index('ix_repair_application_queue', ['bureau_id', 'status', 'due_on'],
                              unique=False)
    op.create_table(
        'repair_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('status_after', sa.String(length=12), nullable=False),
        sa.Column('public_text', sa.Text(), nullable=True),
        sa.Column('internal_text', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'],
                                name=op.f('fk_repair_event_actor_id_staff_user')),
        sa.ForeignKeyConstraint(['application_id'], ['repair_application.id'],
                                name=op.f('fk_repair_event_application_id_repair_application')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_event')),
    )
    with op.batch_alter_table('repair_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_event_application_id'), ['application_id'],
                              unique=False)
    op.create_table(
        'repair_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('received_sha256', sa.String(length=64), nullable=True),
        sa.Column('clean_status', sa.String(length=20), nullable=True),
        sa.Column('metadata_removed', sa.JSON(), nullable=True),
        sa.Column('key_id', sa.String(length=8), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['repair_application.id'],
                                name=op.f('fk_repair_file_application_id_repair_application')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_file')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_repair_file_stored_name')),
    )
    with op.batch_alter_table('repair_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_file_application_id'), ['application_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('repair_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_file_application_id'))
    op.drop_table('repair_file')
    with op.batch_alter_table('repair_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_event_application_id'))
    op.drop_table('repair_event')
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.drop_index('ix_repair_application_queue')
        batch_op.drop_index('ix_repair_application_record')
        batch_op.drop_index(batch_op.f('ix_repair_application_agency_id'))
    op.drop_table('repair_application')
