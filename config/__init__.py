"""The project shell: settings, root URLs, WSGI and Celery; it sits above every app."""
