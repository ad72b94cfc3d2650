"""reporter channel: messages, notifications, encryption, audit (issue 13)

Revision ID: c13d5e8f1a03
Revises: b16c3f9a7e02
Create Date: 2026-12-01 03:00:00

The reporter's identity columns become bytes (sealed by intake.crypto).  Values stored
before stay readable as legacy plaintext; `portal keys rotate` (run it once after this
upgrade) encrypts them and every evidence file stored before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13d5e8f1a03'
down_revision = 'b16c3f9a7e02'
branch_labels = None
depends_on = None

IDENTITY = (('reporter_name', 60), ('reporter_phone', 30), ('reporter_email', 254))


def upgrade():
    op.create_table('tip_notify_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_notify_address_tip_id_tip')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_notify_address')),
    sa.UniqueConstraint('tip_id', name=op.f('uq_tip_notify_address_tip_id'))
    )
    op.create_table('tip_text',
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('text_zh', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_tip_text_updated_by_id_staff_user')),
    sa.PrimaryKeyConstraint('province', 'name', name=op.f('pk_tip_text'))
    )
    op.create_table('access_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=20), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_access_audit_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_access_audit_attachment_id_attachment')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'], name=op.f('fk_access_audit_bureau_id_bureau')),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_access_audit_tip_id_tip')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_audit'))
    )
    with op.batch_alter_table('access_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_audit_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_audit_tip_id'), ['tip_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_audit_bureau_id'), ['bureau_id'], unique=False)

    with op.batch_alter_table('tip', schema=None) as batch_op:
        for name, length in IDENTITY:
            batch_op.alter_column(name, existing_type=sa.String(length=length),
                                  type_=sa.LargeBinary(), existing_nullable=True,
                                  postgresql_using=f"convert_to({name}, 'UTF8')")
        batch_op.add_column(sa.Column('reporter_message_unread', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('notifications_off', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('info_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tip_reporter_message_unread'), ['reporter_message_unread'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('clean_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('metadata_removed', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('key_id', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_mail_dead_at'), ['dead_at'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_mail_event_id'), ['event_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_mail_event_id_tip_event'), 'tip_event', ['event_id'], ['id'])


def _identity_plaintext(bind):
    """(id, name, phone, email) of every tip with an identity, decrypted (downgrade)."""
    from intake import crypto

    rows = bind.execute(sa.text(
        "SELECT id, reporter_name, reporter_phone, reporter_email FROM tip "
        "WHERE reporter_name IS NOT NULL OR reporter_phone IS NOT NULL "
        "OR reporter_email IS NOT NULL")).all()
    out = []
    for row in rows:
        values = []
        for (name, _length), raw in zip(IDENTITY, row[1:]):
            if raw is None:
                values.append(None)
                continue
            raw = raw.encode() if isinstance(raw, str) else bytes(raw)
            values.append(crypto.open_sealed(raw, f"tip.{name}").decode())
        out.append((row[0], *values))
    return out


def downgrade():
    bind = op.get_bind()
    plain = _identity_plaintext(bind)
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_mail_event_id_tip_event'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_mail_event_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_outbox_mail_dead_at'))
        batch_op.drop_column('dead_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('event_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('key_id')
        batch_op.drop_column('metadata_removed')
        batch_op.drop_column('clean_status')
        batch_op.drop_column('received_sha256')

    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_reporter_message_unread'))
        batch_op.drop_column('purged_at')
        batch_op.drop_column('info_due')
        batch_op.drop_column('notifications_off')
        batch_op.drop_column('reporter_message_unread')
        for name, length in IDENTITY:
            batch_op.alter_column(name, existing_type=sa.LargeBinary(),
                                  type_=sa.String(length=length), existing_nullable=True,
                                  postgresql_using="NULL")
    for tip_id, name, phone, email in plain:
        bind.execute(sa.text("UPDATE tip SET reporter_name = :n, reporter_phone = :p, "
                             "reporter_email = :e WHERE id = :id"),
                     {"n": name, "p": phone, "e": email, "id": tip_id})

    with op.batch_alter_table('access_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_audit_bureau_id'))
        batch_op.drop_index(batch_op.f('ix_access_audit_tip_id'))
        batch_op.drop_index(batch_op.f('ix_access_audit_actor_id'))
        batch_op.drop_index(batch_op.f('ix_access_audit_at'))

    op.drop_table('access_audit')
    op.drop_table('tip_text')
    op.drop_table('tip_notify_address')
