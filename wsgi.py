"""The WSGI entry point (``gunicorn wsgi:app``): refuses to start without PORTAL_SECRET_KEY."""

from portal import create_app

app = create_app()
