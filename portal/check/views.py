"""Comparison, shortlist check, reports and their verification (blueprint "check").
Thin: parse, call the check / assessment / report modules, render."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField

from ..extensions import db, limiter
from ..register import assessment
from . import matching, reports, service
from .texts import texts

bp = Blueprint("check", __name__)


def _limit(key: str):
    return lambda: current_app.config[key]


check_limit = limiter.limit(_limit("CHECK_RATE_LIMIT"), methods=["POST"])
report_limit = limiter.limit(_limit("REPORT_RATE_LIMIT"), methods=["POST"])
pdf_limit = limiter.limit(_limit("REPORT_RATE_LIMIT"))


class CheckForm(FlaskForm):
    lines = TextAreaField(_l("机构名称或统一社会信用代码（每行一家）"))
    file = FileField(_l("或上传招标文件中的名单（CSV 或 XLSX）"))


def _locale() -> str:
    return "zh_CN" if str(get_locale() or "zh_CN").startswith("zh") else "en"


# -- compare --------------------------------------------------------------------------

@bp.get("/compare")
def compare():
    requested = service.basket(request.args.getlist("a"))
    codes = requested[:service.COMPARE_MAX]
    agencies = service.agencies_by_uscc(codes)
    adding, add_line = (request.args.get("add") or "").strip()[:matching.MAX_LINE_CHARS], None
    if adding:
        add_line = matching.match_lines([adding])[0]
        if add_line.agency is not None and len(agencies) < service.COMPARE_MAX:
            return redirect(url_for("check.compare", a=[*codes, add_line.agency.uscc]))
    return render_template("check/compare.html", facts=assessment.agency_facts(agencies),
                           codes=[a.uscc for a in agencies], adding=adding, add_line=add_line,
                           too_many=len(requested) > service.COMPARE_MAX,
                           full=len(agencies) >= service.COMPARE_MAX, texts=texts())


# -- shortlist check ----------------------------------------------------------------------

def _input_lines(form: CheckForm) -> list[str]:
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read(current_app.config["CHECK_MAX_UPLOAD_BYTES"] + 1)
        if len(raw) > current_app.config["CHECK_MAX_UPLOAD_BYTES"]:
            raise matching.ShortlistError(_("文件太大：最大 %(n)s MB。", n=round(
                current_app.config["CHECK_MAX_UPLOAD_BYTES"] / 1024 / 1024, 1)))
        return matching.lines_from_upload(raw, upload.filename)
    return matching.lines_from_text(form.lines.data or "")


def _check_page(form: CheckForm, lines=None, status: int = 200):
    rows = service.check_rows(lines) if lines else []
    return render_template("check/check.html", form=form, rows=rows,
                           counts=service.flag_counts(rows), texts=texts(),
                           how_labels=service.HOW_LABELS, max_lines=matching.MAX_LINES,
                           status_labels=service.STATUS_LABELS), status


def _download(rows, ext: str) -> Response:
    if ext == "xlsx":
        body = service.xlsx_bytes(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = service.csv_bytes(rows), "text/csv"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{service.export_name(ext)}"',
        "Cache-Control": "no-store"})


@bp.route("/check", methods=["GET", "POST"])
@check_limit
def check():
    form = CheckForm()
    if request.method == "GET":
        codes = request.args.getlist("u")[:matching.MAX_LINES]  # a report's permalink
        if codes:
            form.lines.data = "\n".join(codes)
            return _check_page(form, matching.match_lines(form.lines.data.splitlines()))
        return _check_page(form)
    if not form.validate_on_submit():
        return _check_page(form, status=400)
    try:
        texts_in = _input_lines(form)
    except matching.ShortlistError as exc:
        form.file.errors = [str(exc)]
        return _check_page(form, status=422)
    if not texts_in:
        form.lines.errors = [_("请每行输入一家机构的名称或统一社会信用代码，或上传名单文件。")]
        return _check_page(form, status=422)
    form.lines.data = "\n".join(texts_in)  # the file's lines, for picking and downloads
    action = request.form.get("action", "check")
    lines = matching.match_lines(texts_in, matching.parse_picks(request.form),
                                 suggest=action == "check")
    if action in ("xlsx", "csv"):
        return _download(service.check_rows(lines), action)
    if action == "report":
        return _issue_check_report(lines)
    return _check_page(form, lines)


def _issue_check_report(lines) -> Response:
    """The check's report (rate-limited with the check: the same POST)."""
    rows = service.check_rows(lines)
    codes = [r.facts["uscc"] for r in rows if r.facts and not r.line.duplicate_of]
    report = reports.issue_report("check", service.check_snapshot(rows),
                                  url_for("check.check", u=codes, _external=True), _locale())
    db.session.commit()
    return redirect(url_for("check.report", code=report.code))


# -- reports ------------------------------------------------------------------------------

@bp.get("/report/new")
def confirm_report():
    """The step before issuing a report, for pages shared by every visitor (cached without a
    CSRF token): what the report is, and the button that issues it."""
    kind = request.args.get("kind")
    if kind == "profile":
        agencies = service.agencies_by_uscc(service.basket([request.args.get("uscc", "")])[:1])
        fields = [("uscc", a.uscc) for a in agencies]
    elif kind == "compare":
        agencies = service.agencies_by_uscc(
            service.basket(request.args.getlist("a"))[:service.COMPARE_MAX])
        fields = [("a", a.uscc) for a in agencies]
    else:
        abort(400)
    if not agencies:
        abort(404)
    return render_template("check/confirm.html", kind=kind, fields=fields, agencies=agencies)


@bp.post("/report")
@report_limit
def issue():
    kind = request.form.get("kind")
    if kind == "profile":
        agencies = service.agencies_by_uscc(service.basket([request.form.get("uscc", "")])[:1])
        if not agencies:
            abort(404)
        permalink = url_for("register.agency", uscc=agencies[0].uscc, _external=True)
    elif kind == "compare":
        agencies = service.agencies_by_uscc(
            service.basket(request.form.getlist("a"))[:service.COMPARE_MAX])
        if not agencies:
            abort(404)
        permalink = url_for("check.compare", a=[a.uscc for a in agencies], _external=True)
    else:
        abort(400)
    snapshot = {"agencies": assessment.agency_facts(agencies)}
    report = reports.issue_report(kind, snapshot, permalink, _locale())
    db.session.commit()
    return redirect(url_for("check.report", code=report.code))


def _report_or_404(code: str):
    report = reports.find_report(code)
    if report is None:
        abort(404)
    return report


def _report_context(report) -> dict:
    verify_url = url_for("check.verify", code=reports.format_code(report.code), _external=True)
    return {"report": report, "code": reports.format_code(report.code),
            "verify_url": verify_url, "intact": reports.is_intact(report),
            "qr": reports.qr_svg(verify_url, _("核验二维码")), "texts": texts()}


@bp.get("/report/<code>")
def report(code):
    found = _report_or_404(code)
    return render_template("check/report.html", **_report_context(found))


@bp.get("/report/<code>.pdf")
@pdf_limit
def report_pdf(code):
    found = _report_or_404(code)
    html = render_template("check/report.html", pdf=True, **_report_context(found))
    try:
        body = reports.render_pdf(html, request.url_root, current_app.static_folder)
    except reports.PdfUnavailable:
        flash(_("本服务器暂不能生成 PDF：请使用浏览器的“打印”，选择“另存为 PDF”。"), "error")
        return redirect(url_for("check.report", code=found.code))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="report-{found.code}.pdf"'})


@bp.get("/verify")
@limiter.limit(_limit("CHECK_RATE_LIMIT"))
def verify():
    typed = (request.args.get("code") or "").strip()[:40]
    found = reports.find_report(typed) if typed else None
    context = _report_context(found) if found else {"texts": texts()}
    return render_template("check/verify.html", typed=typed, found=found, **context), \
        (404 if typed and found is None else 200)


@bp.app_context_processor
def check_helpers():
    return {"signal_text": assessment.signal_text, "flag_labels": assessment.FLAG_LABELS,
            "flag_meanings": assessment.FLAG_MEANINGS, "compare_max": service.COMPARE_MAX}

