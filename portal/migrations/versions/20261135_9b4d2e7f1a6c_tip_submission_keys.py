"""tip submission keys, sealed receipt codes, duplicate-matching keys, sealed outbox codes

Revision ID: 9b4d2e7f1a6c
Revises: 5a1e7c0ffee5
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b4d2e7f1a6c'
down_revision = '5a1e7c0ffee5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tip_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('sealed_code', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_submission_tip_id_tip')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_submission')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_tip_submission_key_hash'))
    )
    with op.batch_alter_table('tip_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_submission_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_submission_tip_id'), ['tip_id'], unique=False)

    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('match_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('match_handle', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_tip_match_name'), ['match_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_match_host'), ['match_host'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_match_handle'), ['match_handle'], unique=False)

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tip_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('sealed_code', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_mail_tip_id_tip'), 'tip', ['tip_id'], ['id'])

    _backfill_match_keys()
    # Receipt mail queued before this revision carries its code in clear: the code is
    # removed from unsent bodies (the reporter saw it on the receipt page).
    op.execute(sa.text(
        "UPDATE outbox_mail SET body = '[查询码已从发件箱清除]' WHERE sent_at IS NULL "
        "AND body LIKE '%查询码：%'"))


def _backfill_match_keys():
    from intake import matching

    bind = op.get_bind()
    tip = sa.table('tip', sa.column('id', sa.Integer), sa.column('agency_id', sa.Integer),
                   sa.column('operator_name', sa.String), sa.column('operator_contact', sa.String),
                   sa.column('online_url', sa.String), sa.column('match_name', sa.String),
                   sa.column('match_host', sa.String), sa.column('match_handle', sa.String))
    rows = bind.execute(sa.select(tip.c.id, tip.c.operator_name, tip.c.operator_contact,
                                  tip.c.online_url).where(tip.c.agency_id.is_(None))).all()
    for row in rows:
        keys = matching.keys(operator_name_text=row.operator_name,
                             operator_contact=row.operator_contact, online_url=row.online_url)
        bind.execute(tip.update().where(tip.c.id == row.id).values(**keys))


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_mail_tip_id_tip'), type_='foreignkey')
        batch_op.drop_column('sealed_code')
        batch_op.drop_column('locale')
        batch_op.drop_column('tip_id')

    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_match_handle'))
        batch_op.drop_index(batch_op.f('ix_tip_match_host'))
        batch_op.drop_index(batch_op.f('ix_tip_match_name'))
        batch_op.drop_column('match_handle')
        batch_op.drop_column('match_host')
        batch_op.drop_column('match_name')

    with op.batch_alter_table('tip_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_submission_tip_id'))
        batch_op.drop_index(batch_op.f('ix_tip_submission_expires_at'))

    op.drop_table('tip_submission')
