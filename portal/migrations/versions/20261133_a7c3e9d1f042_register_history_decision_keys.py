"""register history, decision-number keys, retired divisions

- register_event: the append-only history of agencies and records;
- penalty.decision_key: the decision number in one spelling (brackets, width, spaces,
  第…号), unique instead of the number as published; existing penalties whose numbers
  are spellings of one number are merged into the first published (tips that named a
  merged penalty now name the kept one; the merge is written to the history and printed);
- division.retired / successor_code: retired codes are kept with their successor.

Revision ID: a7c3e9d1f042
Revises: 5ec0a1d2b3c4
Create Date: 2026-11-30 23:30:00

"""
import datetime as dt
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f042'
down_revision = '5ec0a1d2b3c4'
branch_labels = None
depends_on = None

# A copy of portal.register.cleaning.decision_key as it was when this migration was written.
_BRACKETS = str.maketrans({**dict.fromkeys("[(（【〔［{｛〈《", "〔"),
                           **dict.fromkeys("])）】〕］}｝〉》", "〕")})


def _key(number):
    text = "".join(unicodedata.normalize("NFKC", number or "").split()).translate(_BRACKETS)
    return re.sub(r"第(\d+)号", r"\1号", text)


def upgrade():
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('successor_code', sa.String(length=6), nullable=True))

    op.create_table('register_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'],
                            name=op.f('fk_register_event_actor_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_event'))
    )
    with op.batch_alter_table('register_event', schema=None) as batch_op:
        batch_op.create_index('ix_register_event_subject', ['subject', 'subject_id', 'id'],
                              unique=False)

    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_key', sa.String(length=80), nullable=True))
    _fill_keys_and_merge()
    _give_orphans_a_bureau()
    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.alter_column('decision_key', existing_type=sa.String(length=80),
                              nullable=False)
        batch_op.drop_constraint('uq_penalty_decision_number', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_penalty_decision_key'),
                                          ['decision_key'])


def _fill_keys_and_merge():
    conn = op.get_bind()
    penalty = sa.table('penalty', sa.column('id', sa.Integer),
                       sa.column('decision_number', sa.String),
                       sa.column('decision_key', sa.String))
    tip = sa.table('tip', sa.column('penalty_id', sa.Integer))
    event = sa.table('register_event', sa.column('subject', sa.String),
                     sa.column('subject_id', sa.Integer), sa.column('action', sa.String),
                     sa.column('changes', sa.JSON), sa.column('reason', sa.Text),
                     sa.column('via', sa.String), sa.column('at', sa.DateTime))
    groups = {}
    for pid, number in conn.execute(sa.select(penalty.c.id, penalty.c.decision_number)
                                    .order_by(penalty.c.id)):
        groups.setdefault(_key(number), []).append((pid, number))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    merged = 0
    for key, rows in groups.items():
        (kept, kept_number), duplicates = rows[0], rows[1:]
        conn.execute(penalty.update().where(penalty.c.id == kept).values(decision_key=key))
        for pid, number in duplicates:
            conn.execute(tip.update().where(tip.c.penalty_id == pid).values(penalty_id=kept))
            conn.execute(event.insert().values(
                subject='penalty', subject_id=kept, action='merged', via='system', at=now,
                changes={'decision_number': [number, kept_number]},
                reason=f'合并重复记录 #{pid}（文号写法不同：{number}）'))
            conn.execute(penalty.delete().where(penalty.c.id == pid))
            print(f'merged penalty #{pid} "{number}" into #{kept} "{kept_number}" ({key})')
            merged += 1
    print(f'decision numbers: {len(groups)} penalties keyed, {merged} duplicates merged')


def _give_orphans_a_bureau():
    """Records published before this version without a responsible bureau (a penalty of an
    unregistered party imported without --bureau) could be corrected by nobody: give each
    its agency's bureau, else the bureau covering the division in the party's USCC
    (characters 3-8: district, else city, else province)."""
    from portal.register import divisions

    conn = op.get_bind()
    bureaus = {code: bid for bid, code in conn.execute(sa.text(
        "SELECT id, code FROM bureau WHERE active = :yes"), {"yes": True})}
    left = 0
    for table in ('spot_check', 'penalty', 'credit_grade', 'list_entry'):
        conn.execute(sa.text(
            f"UPDATE {table} SET bureau_id = (SELECT agency.bureau_id FROM agency "
            f"WHERE agency.id = {table}.agency_id) "
            f"WHERE bureau_id IS NULL AND agency_id IS NOT NULL"))
    rows = conn.execute(sa.text(
        "SELECT id, party_uscc FROM penalty WHERE bureau_id IS NULL")).all()
    for pid, uscc in rows:
        code = (uscc or '')[2:8]
        found = (bureaus.get(divisions.covering_code(code, bureaus) or '')
                 if divisions.is_code(code) else None)
        if found is None:
            left += 1
            print(f'penalty #{pid}: no bureau covers its party; set one by re-importing '
                  'with --bureau')
            continue
        conn.execute(sa.text("UPDATE penalty SET bureau_id = :b WHERE id = :p"),
                     {"b": found, "p": pid})
    print(f'records without a bureau: {len(rows) - left} given one, {left} left')


def downgrade():
    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_penalty_decision_key'), type_='unique')
        batch_op.create_unique_constraint('uq_penalty_decision_number', ['decision_number'])
        batch_op.drop_column('decision_key')
    with op.batch_alter_table('register_event', schema=None) as batch_op:
        batch_op.drop_index('ix_register_event_subject')
    op.drop_table('register_event')
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.drop_column('successor_code')
        batch_op.drop_column('retired')
