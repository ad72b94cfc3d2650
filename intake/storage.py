"""Private storage of evidence files.

Files are checked by content (magic bytes, via ``filetype``), cleaned of hidden metadata
(intake.metadata: both SHA-256s are kept, as received and as stored, with what was
removed), encrypted (intake.crypto: AES-GCM, the key id at the start of the file) and
written under random names to UPLOAD_DIR (outside static/, never served inline), BEFORE
the tip is committed.  The written paths are remembered on the database session: if
the transaction rolls back before its COMMIT was attempted, the files are removed; after
a commit they stay.

A COMMIT that fails may still have happened (the connection dropped after the server got
it): such files are left "unsettled" and ``settle`` decides in a fresh connection
whether their rows exist (keep) or not (remove); when even that cannot be decided the
files stay, and ``portal storage check`` (``reconcile``) removes those that never got a
row once they are older than a grace period.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import time
from dataclasses import dataclass, field

import filetype
from flask import current_app, send_file
from sqlalchemy import event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal.errors import PortalError
from portal.extensions import db

from . import crypto, metadata
from .models import CONTENT_TYPE_EXTENSIONS, Attachment, Tip
from .workflow import _

# Detected extension -> (MIME type, label).  Zip-based office formats are recognised
# by their inner structure (filetype looks for word/, xl/ or the ODF mimetype entry).
ALLOWED = {ext: mime for mime, ext in CONTENT_TYPE_EXTENSIONS.items()}
ALLOWED_LABEL = "PDF, JPEG, PNG, DOC, DOCX, XLS, XLSX, ODT"  # the same in both languages
ACCEPT_ATTR = ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx,.odt"

_SESSION_KEY = "intake_written_files"
_COMMITTING_KEY = "intake_commit_attempted"
_UNSETTLED_KEY = "intake_unsettled_files"
_BACKEND_KEY = "intake_unsettled_backend"  # PostgreSQL: the server process of that COMMIT
OUTCOME_WAIT_SECONDS = 3.0


class FileRejected(PortalError):
    """An uploaded file was refused; ``message`` names the file and the reason."""


@dataclass
class CheckedFile:
    original_name: str
    data: bytes
    extension: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)


def max_files() -> int:
    return int(current_app.config["TIP_MAX_FILES"])


def max_file_bytes() -> int:
    return int(current_app.config["TIP_MAX_FILE_BYTES"])


def clean_name(name: str | None) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return (name or "file")[:200]


def _detect(data: bytes) -> str | None:
    kind = filetype.guess(data[:65536])
    if kind is None:
        return None
    return kind.extension if kind.extension in ALLOWED else None


def check_files(uploads) -> list[CheckedFile]:
    """Read and check the uploaded files (werkzeug FileStorage); empty inputs are skipped.
    Raises FileRejected with a message naming the file."""
    present = [u for u in uploads if u is not None and getattr(u, "filename", "")]
    if len(present) > max_files():
        raise FileRejected(_("最多只能上传 %(n)d 个文件，您选择了 %(got)d 个。",
                             n=max_files(), got=len(present)))
    limit = max_file_bytes()
    checked = []
    for upload in present:
        name = clean_name(upload.filename)
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise FileRejected(_("文件“%(name)s”超过 %(mb)d MB，未被接受。",
                                 name=name, mb=limit // (1024 * 1024)))
        if not data:
            raise FileRejected(_("文件“%(name)s”是空文件。", name=name))
        ext = _detect(data)
        if ext is None:
            raise FileRejected(_("文件“%(name)s”的内容不是允许的格式（%(allowed)s），未被接受。"
                                 "请注意：判断依据是文件内容，而不是文件名。",
                                 name=name, allowed=ALLOWED_LABEL))
        checked.append(CheckedFile(name, data, ext, ALLOWED[ext]))
    return checked


def upload_dir() -> str:
    path = current_app.config["UPLOAD_DIR"]
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def path_for(stored_name: str) -> str:
    return os.path.join(current_app.config["UPLOAD_DIR"], stored_name)


FILE_PURPOSE = "evidence"


def store(files: list[CheckedFile], session: Session, model=Attachment) -> list[Attachment]:
    """Clean, encrypt and write files under random names; return Attachment rows (not yet
    added).  The files are removed again if ``session`` rolls back.  ``model``: another
    row class with the same file columns (issue 14 — credit repair: RepairFile)."""
    directory = upload_dir()
    written = session.info.setdefault(_SESSION_KEY, [])
    attachments = []
    ring = crypto.keyring()
    for f in files:
        cleaned = metadata.clean(f.data, f.extension)
        # Random, with the extension of the detected type (never the uploader's).
        stored_name = f"{secrets.token_hex(20)}.{f.extension}"
        path = os.path.join(directory, stored_name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        written.append(path)
        with os.fdopen(fd, "wb") as out:
            out.write(ring.seal(cleaned.data, FILE_PURPOSE))
        attachments.append(model(
            original_name=f.original_name, stored_name=stored_name,
            content_type=f.content_type, size=len(cleaned.data),
            sha256=hashlib.sha256(cleaned.data).hexdigest(),
            received_sha256=hashlib.sha256(f.data).hexdigest(),
            clean_status=cleaned.status, metadata_removed=cleaned.removed or None,
            key_id=ring.current,
        ))
    return attachments


def read_evidence(attachment: Attachment) -> bytes:
    """The stored file's content, decrypted (a file from before encryption as it is)."""
    with open(path_for(attachment.stored_name), "rb") as src:
        return crypto.open_sealed(src.read(), FILE_PURPOSE)


def rewrite_sealed(attachment: Attachment) -> bool:
    """Encrypt the file again under the current key (atomic replace: readers see the old
    or the new file, both readable while the old key is configured).  False: nothing to
    do (already under the current key, purged or missing)."""
    path = path_for(attachment.stored_name)
    if attachment.purged_at is not None or not os.path.isfile(path):
        return False
    with open(path, "rb") as src:
        blob = src.read()
    if not crypto.needs_rotation(blob):
        attachment.key_id = crypto.blob_key_id(blob)
        return False
    ring = crypto.keyring()
    sealed = ring.seal(ring.open(blob, FILE_PURPOSE), FILE_PURPOSE)
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(sealed)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    attachment.key_id = ring.current
    return True


def remove_file(attachment: Attachment) -> bool:
    """Delete the stored file (retention); True when a file was removed."""
    try:
        os.remove(path_for(attachment.stored_name))
    except FileNotFoundError:
        return False
    return True


def send_evidence(attachment: Attachment):
    """The download response of an evidence file: always an attachment (never rendered),
    named with the detected extension; werkzeug builds ``Content-Disposition`` (quoted
    ASCII fallback plus RFC 5987 ``filename*`` for the full UTF-8 name), and the name has
    no control characters, quotes or path separators (``clean_name``)."""
    response = send_file(io.BytesIO(read_evidence(attachment)),
                         mimetype="application/octet-stream",
                         as_attachment=True, max_age=0, etag=False, last_modified=None,
                         download_name=clean_name(attachment.download_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _remove_paths(paths) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _backend_pid(session: Session) -> int | None:
    """The PostgreSQL server process of the session's connection (None elsewhere)."""
    try:
        dbapi = session.connection().connection.dbapi_connection
        return int(dbapi.info.backend_pid)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - SQLite, another driver: nothing to wait for
        return None


def _note_commit(session: Session) -> None:
    """From here on, a failure may come after the server committed."""
    if session.info.get(_SESSION_KEY):
        session.info[_COMMITTING_KEY] = (_backend_pid(session),)


def _remove_written(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the outer work goes on
        return
    paths = session.info.pop(_SESSION_KEY, [])
    attempt = session.info.pop(_COMMITTING_KEY, None)
    if attempt is not None:
        # The COMMIT was attempted: whether it happened is not known here.
        session.info.setdefault(_UNSETTLED_KEY, []).extend(paths)
        session.info[_BACKEND_KEY] = attempt[0]
        return
    _remove_paths(paths)


def _forget_written(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)
    session.info.pop(_COMMITTING_KEY, None)


event.listen(Session, "before_commit", _note_commit)
event.listen(Session, "after_commit", _forget_written)
event.listen(Session, "after_soft_rollback", _remove_written)


# -- after a failed commit: was it committed after all? -------------------------------

COMMITTED, NOT_COMMITTED, UNDECIDED = "committed", "not_committed", "undecided"

# issue 14 — credit repair: other tables whose rows own files in UPLOAD_DIR.  Each entry
# is a function returning a select of (stored_name, row id, reference) of the live rows;
# ``settle`` and ``reconcile`` count them as rows like the tips' attachments.
FILE_OWNERS: list = []


def _owned_names(conn, names: list[str]) -> set[str]:
    found = set()
    for owner in FILE_OWNERS:
        rows = owner().subquery()
        found.update(conn.scalars(select(rows.c[0]).where(rows.c[0].in_(names))))
    return found


def settle(session: Session) -> str | None:
    """Decide the files of a failed commit (after ``session.rollback()``): their rows are
    looked up in a fresh connection; files with rows stay, the others are removed.
    ``COMMITTED`` / ``NOT_COMMITTED``; ``UNDECIDED`` when the database cannot answer
    (the files stay for ``portal storage check``); None when there was nothing to settle."""
    paths = session.info.pop(_UNSETTLED_KEY, [])
    backend = session.info.pop(_BACKEND_KEY, None)
    if not paths:
        return None
    names = [os.path.basename(p) for p in paths]
    try:
        with db.engine.connect() as conn:  # not the session's: its connection may be dead
            over = _transaction_over(conn, backend)
            found = set(conn.scalars(
                select(Attachment.stored_name).where(Attachment.stored_name.in_(names))))
            found |= _owned_names(conn, names)  # issue 14 — credit repair
    except SQLAlchemyError:
        over, found = False, set()
    if not over and not found:
        current_app.logger.warning(
            "could not tell whether %d evidence file(s) were committed; kept for "
            "`portal storage check`: %s", len(names), " ".join(names))
        return UNDECIDED
    _remove_paths(p for p in paths if os.path.basename(p) not in found)
    return COMMITTED if found else NOT_COMMITTED


def _transaction_over(conn, backend: int | None) -> bool:
    """Whether the transaction of that COMMIT has ended on the server (PostgreSQL): its
    server process is gone or idle.  A process still busy (or idle in the transaction:
    the COMMIT may still be on its way) is waited for a few seconds."""
    if backend is None or conn.dialect.name != "postgresql":
        return True
    deadline = time.monotonic() + OUTCOME_WAIT_SECONDS
    while True:
        # The pool may hand back that very connection: then it is over (reset or done).
        state = conn.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :pid "
                                  "AND pid <> pg_backend_pid()"), {"pid": backend}).scalar()
        conn.rollback()  # a fresh snapshot for the next look
        if state is None or state == "idle":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


# -- portal storage check ---------------------------------------------------------------

# What store() and rewrite_sealed() write: anything else in the directory is never touched.
_OURS = re.compile(r"^[0-9a-f]{40}\.[a-z0-9]{1,5}(\.[0-9a-f]{8}\.tmp)?$")


@dataclass
class StoredFile:
    name: str
    size: int
    modified: float  # POSIX time


@dataclass
class MissingFile:
    stored_name: str
    attachment_id: int
    tip_reference: str


@dataclass
class StorageReport:
    """``orphans``: evidence files with no live row, older than the grace period (a worker
    killed between writing them and committing, a COMMIT whose outcome was not known);
    ``missing``: live rows whose file is gone; ``young``: files with no row yet, within
    the grace period (a tip being filed); ``foreign``: names this portal never writes."""

    files: int = 0
    rows: int = 0
    orphans: list[StoredFile] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    young: int = 0
    foreign: list[str] = field(default_factory=list)
    removed: int = 0


def _listing(directory: str) -> list[StoredFile]:
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                found.append(StoredFile(entry.name, st.st_size, st.st_mtime))
    return found


def reconcile(*, grace_seconds: float, fix: bool = False,
              now: float | None = None) -> StorageReport:
    """Compare the files under UPLOAD_DIR with the Attachment rows.  The directory is read
    first, then the rows: a file older than the grace period when listed, with no live row
    afterwards, belongs to no transaction still running.  ``fix`` removes those."""
    directory = upload_dir()
    now = time.time() if now is None else now
    listed = _listing(directory)
    live = {name: (att_id, ref) for name, att_id, ref in db.session.execute(
        select(Attachment.stored_name, Attachment.id, Tip.reference)
        .join(Tip, Attachment.tip_id == Tip.id)
        .where(Attachment.purged_at.is_(None)))}
    for owner in FILE_OWNERS:  # issue 14 — credit repair
        live.update({name: (row_id, ref) for name, row_id, ref in db.session.execute(owner())})
    report = StorageReport(files=len(listed), rows=len(live))
    present = set()
    for f in listed:
        if not _OURS.match(f.name):
            report.foreign.append(f.name)
            continue
        present.add(f.name)
        if f.name in live:
            continue
        if now - f.modified < grace_seconds:
            report.young += 1
            continue
        report.orphans.append(f)
        if fix:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, f.name))
                report.removed += 1
    # A row committed after the listing has its file: look again before calling it missing.
    report.missing = [MissingFile(name, att_id, ref) for name, (att_id, ref) in live.items()
                      if name not in present and not os.path.exists(os.path.join(directory,
                                                                                 name))]
    report.missing.sort(key=lambda m: m.attachment_id)
    report.orphans.sort(key=lambda f: f.modified)
    return report
