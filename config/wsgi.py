import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Without Celery the jobs run in this process: recover those of a process that died, now and
# periodically (portal.jobs).
from portal.jobs import sweeper_start  # noqa: E402 - needs the application loaded

sweeper_start()
