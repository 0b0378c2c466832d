"""The project shell: settings, root URLs, WSGI and Celery; it sits above every app.

The Celery application is loaded with Django, so that jobs queued by the web processes go to
the broker the settings name (``celery -A config worker`` runs them).
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
