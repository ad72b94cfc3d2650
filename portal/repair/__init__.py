"""Credit repair applications (信用修复, issue 14): an agency applies online for an eligible
penalty or serious-dishonesty list entry; the responsible bureau confirms who applied and
approves (the record stops being published, reason 信用修复) or refuses with a reason; the
applicant follows it with a tracking code."""


def init_app(app):
    from intake import storage

    from . import models, views
    from .eligibility import eligibility

    app.register_blueprint(views.bp)
    app.register_blueprint(views.staff_bp)
    app.add_template_global(eligibility, "repair_eligibility")
    if _file_rows not in storage.FILE_OWNERS:
        storage.FILE_OWNERS.append(_file_rows)
    del models


def _file_rows():
    """(stored_name, id, reference) of every application file (``intake.storage``)."""
    from sqlalchemy import select

    from .models import RepairApplication, RepairFile

    return (select(RepairFile.stored_name, RepairFile.id, RepairApplication.reference)
            .join(RepairApplication, RepairFile.application_id == RepairApplication.id))
