"""Staff sign-in, accounts, roles and permissions."""


def init_app(app):
    from ..extensions import login_manager
    from . import views
    from .models import StaffUser

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Login's flashes in the page's language (its defaults are English only).
    from ..i18n import LOGIN_MESSAGE, REFRESH_MESSAGE

    login_manager.login_message = LOGIN_MESSAGE
    login_manager.needs_refresh_message = REFRESH_MESSAGE
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # a lazy message, rendered in the request's language

    @login_manager.user_loader
    def load_user(user_id: str):
        from ..extensions import db

        try:
            uid, version = (int(part) for part in user_id.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(StaffUser, uid)
        if user is None or user.session_version != version or not user.active:
            return None
        return user

    from .sessions import enforce_lifetime

    app.before_request(enforce_lifetime)
    app.register_blueprint(views.bp)

    from .cli import staff_cli

    app.cli.add_command(staff_cli)
