"""tip events stored as keys and parameters (issue 18)

Revision ID: a18e7c2d4b01
Revises: 9b4d2e7f1a6c
Create Date: 2026-12-01 01:00:00

System wording of tip events is no longer stored: ``tip_event.kind`` and ``data`` (e.g. the
bureau's name) determine it, and ``intake.event_text`` renders it in the reader's language.
``public_text`` keeps only words a person wrote (the bureau's question, its reply).

The upgrade parses the Chinese texts written so far: the bureau's name goes to
``data["bureau"]``, the question and the reply stay in ``public_text``, the rest is
cleared.  A text that matches no known sentence is kept as it is (a person may have
written it).  The downgrade writes the Chinese sentences back.
"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a18e7c2d4b01'
down_revision = '9b4d2e7f1a6c'
branch_labels = None
depends_on = None

tip_event = sa.table(
    "tip_event",
    sa.column("id", sa.Integer),
    sa.column("tip_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("to_bureau_id", sa.Integer),
    sa.column("public_text", sa.Text),
    sa.column("data", sa.JSON),
)
tip = sa.table("tip", sa.column("id", sa.Integer), sa.column("bureau_id", sa.Integer))
bureau = sa.table("bureau", sa.column("id", sa.Integer), sa.column("name", sa.String))

# The Chinese sentences the portal stored until this revision ({bureau}, {text} as fields),
# in the same order as intake.event_text.PUBLIC_TEXTS.
SENTENCES = {
    "submitted": "我们已收到您的举报。",
    "routed": "您的举报已分送{bureau}办理。",
    "accepted": "{bureau}已受理您的举报，正在核查。",
    "info_requested": "{bureau}请您补充材料：{text}",
    "reporter_replied": "您已补充材料，承办部门将继续核查。",
    "transferred": "您的举报已移送{bureau}办理。",
    "returned_to_triage": "您的举报已转由{bureau}重新分送。",
    "deadline_extended": "因情况复杂，核查期限已依法延长。",
    "concluded": "{bureau}已办结您的举报。处理结果：{text}",
}
OUTCOMES = {
    "substantiated": "举报属实",
    "not_substantiated": "举报不属实",
    "referred": "已移送其他机关处理",
    "duplicate": "重复举报",
    "withdrawn": "举报人撤回",
}


def _pattern(sentence: str) -> re.Pattern:
    escaped = re.escape(sentence).replace(r"\{bureau\}", "(?P<bureau>.+?)")
    escaped = escaped.replace(r"\{text\}", "(?P<text>.*)")
    return re.compile(escaped + r"\Z", re.DOTALL)


PATTERNS = {kind: _pattern(sentence) for kind, sentence in SENTENCES.items()}


def parse(kind: str, text: str | None, data: dict | None) -> tuple[str | None, dict | None]:
    """(public_text, data) of an event stored with system wording (pure: tested)."""
    pattern = PATTERNS.get(kind)
    match = pattern.match(text) if (pattern and text) else None
    if match is None:
        return text, data
    data = dict(data or {})
    fields = match.groupdict()
    if fields.get("bureau"):
        data["bureau"] = fields["bureau"]
    person = fields.get("text")
    if kind == "concluded" and person is not None:
        if data.get("public_reply"):
            person = data["public_reply"]
        else:
            outcome = OUTCOMES.get(data.get("outcome"), "")
            if outcome and person.startswith(outcome + "。"):
                person = person[len(outcome) + 1:]
    return (person or None), data


def unparse(kind: str, text: str | None, data: dict | None, bureau_name: str) -> str | None:
    """The Chinese sentence stored before this revision."""
    sentence = SENTENCES.get(kind)
    if sentence is None:
        return text
    data = data or {}
    person = text or ""
    if kind == "concluded":
        person = f"{OUTCOMES.get(data.get('outcome'), '')}。{person}"
    return sentence.format(bureau=data.get("bureau") or bureau_name, text=person)


def _events(conn, kinds):
    names = dict(conn.execute(sa.select(bureau.c.id, bureau.c.name)).all())
    tip_bureau = dict(conn.execute(sa.select(tip.c.id, tip.c.bureau_id)).all())
    rows = conn.execute(sa.select(tip_event).where(tip_event.c.kind.in_(kinds))
                        .order_by(tip_event.c.id)).all()
    for row in rows:
        bureau_id = row.to_bureau_id or tip_bureau.get(row.tip_id)
        yield row, names.get(bureau_id, "")


def upgrade():
    conn = op.get_bind()
    for row, _name in _events(conn, list(SENTENCES)):
        text, data = parse(row.kind, row.public_text, row.data)
        if (text, data) != (row.public_text, row.data):
            conn.execute(tip_event.update().where(tip_event.c.id == row.id)
                         .values(public_text=text, data=data))


def downgrade():
    conn = op.get_bind()
    for row, name in _events(conn, list(SENTENCES)):
        conn.execute(tip_event.update().where(tip_event.c.id == row.id)
                     .values(public_text=unparse(row.kind, row.public_text, row.data, name)))
