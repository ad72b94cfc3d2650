"""Every route of the portal with who may use it.  ``tests/security/test_routes.py`` fails
when a route exists that is not listed here (or a listed one is gone), so a new route
cannot ship without someone deciding its access class.

Classes:
- PUBLIC: anyone; a visitor who is not signed in gets the page (not the sign-in page).
- SIGN_IN: the sign-in flow itself (under /staff, open to visitors).
- STAFF: signed-in staff only; a visitor is sent to the sign-in page.  Which staff may
  use which staff route (role, own bureau, other bureau, other province) is the matrix
  in ``tests/portal/test_staff_access.py``, which fails on unlisted staff routes itself.
- REPORTER: the reporter's own pages, opened by the tracking code kept in the session
  (or the one-time receipt): open to visitors, never cached.
- TOKEN: pages opened by a secret link sent by mail (alert subscriptions): open to
  visitors, never cached.
"""

PUBLIC, SIGN_IN, STAFF, REPORTER, STATIC = "public", "sign-in", "staff", "reporter", "static"
TOKEN = "token"

ROUTES: dict[tuple[str, str], str] = {
    ("static", "GET"): STATIC,
    # the public register
    ("register.home", "GET"): PUBLIC,
    ("register.agencies", "GET"): PUBLIC,
    ("register.agency", "GET"): PUBLIC,
    ("register.bureaus", "GET"): PUBLIC,
    ("register.credit_grades", "GET"): PUBLIC,
    ("register.credit_grade", "GET"): PUBLIC,
    ("register.open_data", "GET"): PUBLIC,
    ("register.download", "GET"): PUBLIC,
    ("register.list_entries", "GET"): PUBLIC,
    ("register.list_entry", "GET"): PUBLIC,
    ("register.penalties", "GET"): PUBLIC,
    ("register.penalty", "GET"): PUBLIC,
    ("register.spot_checks", "GET"): PUBLIC,
    ("register.spot_check", "GET"): PUBLIC,
    ("search.search", "GET"): PUBLIC,
    # before you hire (issue 16): compare, shortlist check, reports and their verification
    ("check.compare", "GET"): PUBLIC,
    ("check.check", "GET"): PUBLIC,
    ("check.check", "POST"): PUBLIC,
    ("check.issue", "POST"): PUBLIC,
    ("check.confirm_report", "GET"): PUBLIC,
    ("check.report", "GET"): PUBLIC,
    ("check.report_pdf", "GET"): PUBLIC,
    ("check.verify", "GET"): PUBLIC,
    ("search.suggest", "GET"): PUBLIC,
    # the marks of an official site (issue 18)
    ("site.privacy", "GET"): PUBLIC,
    ("site.accessibility", "GET"): PUBLIC,
    ("site.robots", "GET"): PUBLIC,
    ("site.sitemap", "GET"): PUBLIC,
    ("site.sitemap_part", "GET"): PUBLIC,
    ("site.favicon", "GET"): PUBLIC,
    ("statistics.index", "GET"): PUBLIC,
    ("statistics.table_csv", "GET"): PUBLIC,
    # the operator's probes (issue 19): /metrics answers 404 without its bearer token
    ("ops.healthz", "GET"): PUBLIC,
    ("ops.readyz", "GET"): PUBLIC,
    ("ops.metrics_view", "GET"): PUBLIC,
    # the open-data API and feeds
    ("api_docs.docs", "GET"): PUBLIC,
    ("api.unknown", "GET"): PUBLIC,
    ("api.agencies", "GET"): PUBLIC,
    ("api.agencies_export", "GET"): PUBLIC,
    ("api.agency", "GET"): PUBLIC,
    ("api.bureaus", "GET"): PUBLIC,
    ("api.credit_grade_list", "GET"): PUBLIC,
    ("api.credit_grade_export", "GET"): PUBLIC,
    ("api.credit_grade", "GET"): PUBLIC,
    ("api.datasets", "GET"): PUBLIC,
    ("api.division_list", "GET"): PUBLIC,
    ("api.dump", "GET"): PUBLIC,
    ("api.list_entry_list", "GET"): PUBLIC,
    ("api.list_entry_export", "GET"): PUBLIC,
    ("api.list_entry", "GET"): PUBLIC,
    ("api.openapi", "GET"): PUBLIC,
    ("api.penalty_list", "GET"): PUBLIC,
    ("api.penalty_export", "GET"): PUBLIC,
    ("api.penalty", "GET"): PUBLIC,
    ("api.search", "GET"): PUBLIC,
    ("api.search_export", "GET"): PUBLIC,
    ("api.spot_check_list", "GET"): PUBLIC,
    ("api.spot_check_export", "GET"): PUBLIC,
    ("api.spot_check", "GET"): PUBLIC,
    ("feeds.agency", "GET"): PUBLIC,
    ("feeds.all_records", "GET"): PUBLIC,
    ("feeds.credit_grade", "GET"): PUBLIC,
    ("feeds.list_entry", "GET"): PUBLIC,
    ("feeds.penalty", "GET"): PUBLIC,
    ("feeds.spot_check", "GET"): PUBLIC,
    # alert subscriptions: the form is public, the rest needs the mailed link
    ("alerts.subscribe_form", "GET"): PUBLIC,
    ("alerts.subscribe", "POST"): PUBLIC,
    ("alerts.confirm", "GET"): TOKEN,
    ("alerts.confirm", "POST"): TOKEN,
    ("alerts.unsubscribe_page", "GET"): TOKEN,
    ("alerts.unsubscribe", "POST"): TOKEN,
    # tips: the form is public, the rest belongs to the reporter holding the code
    ("intake.new_tip", "GET"): REPORTER,
    ("intake.new_tip", "POST"): REPORTER,
    ("intake.agency_options", "GET"): PUBLIC,
    ("intake.place_fields", "GET"): PUBLIC,
    ("intake.receipt", "GET"): REPORTER,
    ("intake.track", "GET"): REPORTER,
    ("intake.track", "POST"): REPORTER,
    ("intake.leave", "POST"): REPORTER,
    ("intake.reply", "POST"): REPORTER,
    ("intake.notification_settings", "POST"): REPORTER,
    # sign-in
    ("auth.login", "GET"): SIGN_IN,
    ("auth.login", "POST"): SIGN_IN,
    ("auth.totp", "GET"): SIGN_IN,
    ("auth.totp", "POST"): SIGN_IN,
    ("auth.logout", "POST"): SIGN_IN,
    # staff
    ("auth.password", "GET"): STAFF,
    ("auth.password", "POST"): STAFF,
    ("auth.totp_setup", "GET"): STAFF,
    ("auth.totp_setup", "POST"): STAFF,
    ("staff.queue", "GET"): STAFF,
    ("staff.holidays", "GET"): STAFF,
    ("staff.public_texts", "GET"): STAFF,
    ("staff.public_texts", "POST"): STAFF,
    ("staff.holiday_add", "POST"): STAFF,
    ("staff.holiday_delete", "POST"): STAFF,
    ("staff.role_totp", "POST"): STAFF,
    ("staff.routing_rules", "GET"): STAFF,
    ("staff.routing_add", "POST"): STAFF,
    ("staff.routing_deactivate", "POST"): STAFF,
    ("staff.staff_list", "GET"): STAFF,
    ("staff.staff_create", "POST"): STAFF,
    ("staff.staff_op", "POST"): STAFF,
    ("staff.dashboard", "GET"): STAFF,
    ("staff.dashboard_csv", "GET"): STAFF,
    ("staff.work", "GET"): STAFF,
    ("staff.import_upload", "GET"): STAFF,
    ("staff.import_upload", "POST"): STAFF,
    ("staff.import_confirm", "POST"): STAFF,
    ("staff.records", "GET"): STAFF,
    ("staff.record_edit", "GET"): STAFF,
    ("staff.record_edit", "POST"): STAFF,
    ("staff.record_status", "POST"): STAFF,
    ("staff.record_new", "GET"): STAFF,
    ("staff.record_new", "POST"): STAFF,
    ("staff.supervised", "GET"): STAFF,
    ("staff.tip", "GET"): STAFF,
    ("staff.tip_action", "POST"): STAFF,
    ("staff.attachment", "GET"): STAFF,
    ("staff.tip_reporter", "GET"): STAFF,
    ("staff.tip_message", "POST"): STAFF,
    ("staff.access_audit", "GET"): STAFF,
    ("staff.tip_texts", "GET"): STAFF,
    ("staff.tip_texts", "POST"): STAFF,
    # issue 14 — patent agents (agents feature adds its routes below)
    ("register.agents", "GET"): PUBLIC,
    ("register.agent", "GET"): PUBLIC,
    ("agent_staff.agents", "GET"): STAFF,
    ("agent_staff.agent_new", "GET"): STAFF,
    ("agent_staff.agent_new", "POST"): STAFF,
    ("agent_staff.agent_edit", "GET"): STAFF,
    ("agent_staff.agent_edit", "POST"): STAFF,
    # issue 14 — association measures (association feature adds its routes below)
    ("register.association_measures", "GET"): PUBLIC,
    ("register.association_measure", "GET"): PUBLIC,
    ("api.association_measure_list", "GET"): PUBLIC,
    ("api.association_measure_export", "GET"): PUBLIC,
    ("api.association_measure", "GET"): PUBLIC,
    ("feeds.association_measure", "GET"): PUBLIC,
    ("association.measure_kinds", "GET"): STAFF,
    ("association.measure_kind_add", "POST"): STAFF,
    ("association.measure_kind_update", "POST"): STAFF,
    ("association.measure_kind_active", "POST"): STAFF,
    # issue 14 — typical cases (typical-cases feature adds its routes below)
    ("cases.index", "GET"): PUBLIC,
    ("cases.detail", "GET"): PUBLIC,
    ("feeds.cases", "GET"): PUBLIC,
    ("case_staff.cases", "GET"): STAFF,
    ("case_staff.new", "GET"): STAFF,
    ("case_staff.new", "POST"): STAFF,
    ("case_staff.edit", "GET"): STAFF,
    ("case_staff.edit", "POST"): STAFF,
    ("case_staff.change_status", "POST"): STAFF,
    # issue 14 — credit repair (credit-repair feature adds its routes below)
    ("repair.new", "GET"): REPORTER,
    ("repair.new", "POST"): REPORTER,
    ("repair.track", "GET"): REPORTER,
    ("repair.track", "POST"): REPORTER,
    ("repair.leave", "POST"): REPORTER,
    ("repair_staff.applications", "GET"): STAFF,
    ("repair_staff.application", "GET"): STAFF,
    ("repair_staff.download", "GET"): STAFF,
    ("repair_staff.verify", "POST"): STAFF,
    ("repair_staff.approve", "POST"): STAFF,
    ("repair_staff.refuse", "POST"): STAFF,
}

# Sample values for URL variables where "1" would not reach the view's own checks.
SAMPLE_ARGS = {
    "register.download": {"kind": "penalty"},
    "static": {"filename": "css/site.css"},
    "site.sitemap_part": {"section": "pages", "page": 1},
}

# POST routes that accept requests without the CSRF token, and why.  Any other POST
# without the token must get 400.
CSRF_EXEMPT = {
    ("alerts.unsubscribe", "POST"): "RFC 8058 one-click unsubscribe from the mail client; "
                                    "the secret token in the URL is the credential",
}
