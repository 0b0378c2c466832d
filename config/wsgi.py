import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Without Celery (whose beat runs both), each web process, now and periodically, recovers the jobs
# of a process that died (portal.jobs) and repairs the directory batches a crash left unfinished
# (portal.engine.recovery).
from portal.engine.recovery import recovery_thread_start  # noqa: E402 - needs the application loaded
from portal.jobs import sweeper_start  # noqa: E402

sweeper_start()
recovery_thread_start()
