"""Django settings of the portal, all from the environment (``config/env.py``).

Production is the default: ``DEBUG`` off, ``SECRET_KEY`` and the directory password required.
``PORTAL_DEMO=1`` (set by ``make run`` and the test harness) fills in the demo values documented in
the README instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import ldap
from celery.schedules import crontab
from django_auth_ldap.config import LDAPSearch, MemberDNGroupType

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, static files and slapd data live here
# What var/ holds (the database with its sessions, the cache, the directory's data) is the portal's
# user's alone: nobody else may list or read it.
if VAR_DIR.stat().st_uid == os.getuid():
    VAR_DIR.chmod(0o700)

DEMO = env_bool("PORTAL_DEMO", False)
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str(
    "SECRET_KEY", "demo-only-secret-key-not-for-production" if DEMO else None, required=not DEMO
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# a form sent without its token gets the pages' error page in the portal's frame (config/errors.py)
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
# The largest request body read into memory: the MPS door's own limit (5 MB; SOAP's is 1 MB). A
# larger one is refused by every door in its own shape (400 InvalidRequest), never read whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "portal.apps.PortalConfig",
    "portal.engine.apps.JournalConfig",
    "hosting",
    "customers",
    "email_service",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # every door answers an exception in its own shape (config/errors.py)
    "config.errors.FailureMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # the logged-in user, its check and the messages are passed by on the machine doors, whose
    # requests carry their own credentials (portal/middleware.py: MACHINE_DOORS)
    "portal.middleware.AuthenticationMiddlewareForPages",
    "portal.middleware.CurrentAccountMiddleware",
    "portal.middleware.MessageMiddlewareForPages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.caller",
            ],
        },
    },
]

# Connections are kept between requests (CONN_MAX_AGE seconds) and checked before a request uses
# one again, so that a connection the database server dropped (restart, failover, a killed backend)
# is replaced instead of failing the request.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
_SQLITE_ENGINES = ("django.db.backends.sqlite3", "portal.db.sqlite3")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Write-ahead log: a commit costs one flush of the log instead of the rollback journal's
    # several, stays durable (synchronous=FULL remains the default), and readers no longer wait
    # for a writer (pages read while a background job writes). IMMEDIATE avoids lock upgrades
    # in the middle of an engine batch; the portal's backend sends that BEGIN at the transaction's
    # first statement rather than when it is entered (portal/db/sqlite3/base.py), so a batch does
    # not hold the write lock while it waits for the directory.
    DATABASES["default"]["ENGINE"] = "portal.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not the shared in-memory database, so that job threads and live-server tests see
    # the same data with SQLite's ordinary locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
# The engine's journal of directory intent (docs/engine.md, "The journal"): written on a connection
# of its own, outside every batch's transaction. SQLite: a file of its own next to the database;
# PostgreSQL: a second connection to the same database. JOURNAL_DATABASE_URL names another place.
_journal_url = env_str("JOURNAL_DATABASE_URL", None)
if _journal_url:
    DATABASES["journal"] = dj_database_url.parse(_journal_url, conn_max_age=60)
elif DATABASES["default"]["ENGINE"] in _SQLITE_ENGINES:
    _main = Path(DATABASES["default"]["NAME"])
    DATABASES["journal"] = dj_database_url.parse(
        f"sqlite:///{_main.with_name(_main.stem + '-journal.sqlite3')}", conn_max_age=60
    )
else:
    # the same database through a connection of its own (in tests: the same test database)
    DATABASES["journal"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
#: whether the journal is a database of its own (then only its tables are migrated there)
PORTAL_JOURNAL_SEPARATE = any(
    DATABASES["journal"].get(key) != DATABASES["default"].get(key)
    for key in ("ENGINE", "NAME", "HOST", "PORT")
)
if not PORTAL_JOURNAL_SEPARATE:
    DATABASES["journal"]["TEST"] = {"MIRROR": "default"}
if DATABASES["journal"]["ENGINE"] == "django.db.backends.sqlite3" and PORTAL_JOURNAL_SEPARATE:
    # synchronous=NORMAL: a journal write outlives the death of any process (slapd's, the
    # portal's) at the cost of a write, not of a flush to disk; a power cut may lose the last
    # ones (docs/engine.md, "Limits"). The commit of the database itself stays fully durable.
    DATABASES["journal"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "timeout": 30,
    }
    _main_test = Path(DATABASES["default"].get("TEST", {}).get("NAME") or VAR_DIR / "test-portal.sqlite3")
    DATABASES["journal"]["TEST"] = {"NAME": str(_main_test.with_name(_main_test.stem + "-journal.sqlite3"))}
DATABASE_ROUTERS = ["portal.engine.journal.JournalRouter"]
# A batch whose owner runs on another host counts as abandoned when its journal has not moved
# for this long (seconds); on this host a dead owner process is seen at once.
PORTAL_JOURNAL_LEASE_SECONDS = env_int("PORTAL_JOURNAL_LEASE_SECONDS", 600)
# How often (seconds) a web process runs the directory recovery when no Celery beat does; 0: never.
PORTAL_RECOVERY_SECONDS = env_int("PORTAL_RECOVERY_SECONDS", 60)
# How long (milliseconds) the audit writer waits for the other batches running in its process
# before it commits the records of a batch that changed nothing, so that they share one
# transaction; 0: never waits (portal/engine/audit_writer.py).
PORTAL_AUDIT_GROUP_WAIT_MS = env_int("PORTAL_AUDIT_GROUP_WAIT_MS", 2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from here after collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- HTTPS ---------------------------------------------------------------------------------------
# Production (neither DEBUG nor the demo) speaks HTTPS only: plain HTTP is redirected (but for the
# liveness probe), browsers are told so for a year (HSTS), cookies travel over HTTPS only. Behind
# reverse proxies that end TLS, PORTAL_TRUSTED_PROXIES > 0 makes the portal believe their
# X-Forwarded-Proto (and X-Forwarded-For for the client address, portal/throttle.py).
PRODUCTION = not (DEBUG or DEMO)
PORTAL_TRUSTED_PROXIES = env_int("PORTAL_TRUSTED_PROXIES", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
if PORTAL_TRUSTED_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- The directory -------------------------------------------------------------------------
# Domain controllers: "NAME=URI,NAME=URI"; the name is what requests give as
# preferredDomainController (compared without regard to letter case).
LDAP_PORT = env_int("LDAP_PORT", 3389)
LDAP_URI = env_str("LDAP_URI", f"ldap://127.0.0.1:{LDAP_PORT}")
_dcs = env_list("LDAP_DOMAIN_CONTROLLERS", [f"AD01.fabrikam.com={LDAP_URI}"])
DIRECTORY = {
    "SUFFIX": env_str("LDAP_SUFFIX", "DC=fabrikam,DC=com"),
    "HOSTING_ROOT": env_str("LDAP_HOSTING_ROOT", "OU=Hosting,DC=fabrikam,DC=com"),
    "FLAVOR": env_str("LDAP_FLAVOR", "openldap"),
    "DOMAIN_CONTROLLERS": dict(item.split("=", 1) for item in _dcs),
    "BIND_DN": env_str("LDAP_BIND_DN", "cn=admin,dc=fabrikam,dc=com"),
    "BIND_PASSWORD": env_str("LDAP_BIND_PASSWORD", "Passw0rd!" if DEMO else None, required=not DEMO),
    "POOL_SIZE": env_int("LDAP_POOL_SIZE", 4),
    # seconds to open a connection (TCP and TLS) to a domain controller
    "TIMEOUT": env_int("LDAP_TIMEOUT", 5),
    # seconds one operation (bind, search, write) may wait for the server's answer; a DC that lets
    # it pass counts as unresponsive for LDAP_DOWN_SECONDS, and calls to it fail at once (503)
    "OPERATION_TIMEOUT": env_int("LDAP_OPERATION_TIMEOUT", 10),
    "DOWN_SECONDS": env_int("LDAP_DOWN_SECONDS", 30),
    # the certificate authority to trust for ldaps:// (Active Directory takes passwords only there)
    "TLS_CACERT": env_str("LDAP_TLS_CACERT", None),
}

# --- The mail servers -------------------------------------------------------------------------
# Postfix and Dovecot read the directory themselves (docs/mail.md); the portal needs only where
# they listen (shown on pages) and Dovecot's configuration, to read a mailbox's real usage with
# doveadm. `make run` starts a private pair with its configuration under var-mail/openldap (beside
# var/, which only the portal's user may enter).
SMTP_PORT = env_int("SMTP_PORT", 2525)
IMAP_PORT = env_int("IMAP_PORT", 1143)
MAIL = {
    "SMTP_HOST": env_str("SMTP_HOST", "127.0.0.1"),
    "SMTP_PORT": SMTP_PORT,
    "IMAP_HOST": env_str("IMAP_HOST", "127.0.0.1"),
    "IMAP_PORT": IMAP_PORT,
    "DOVECOT_CONFIG": env_str(
        "DOVECOT_CONFIG",
        str(
            Path(env_str("PORTAL_MAIL_DIR", str(BASE_DIR / "var-mail")))
            / "openldap"
            / "dovecot"
            / "dovecot.conf"
        ),
    ),
}

# --- Outgoing e-mail ----------------------------------------------------------------------------
# Dunning's notices are e-mailed to each account's billing contact through Django's SMTP backend;
# by default through the portal's own Postfix (the one `make run` starts on SMTP_PORT).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", MAIL["SMTP_HOST"])
EMAIL_PORT = env_int("EMAIL_PORT", SMTP_PORT)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "billing@fabrikam.com")

# --- Login: django-auth-ldap ------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["portal.throttle.LoginThrottleBackend", "portal.auth.DirectoryBackend"]


def _login_server_uri(request=None) -> str:
    """The domain controllers a login asks: those not counted as unresponsive (portal/directory/logins.py)."""
    from portal.directory.logins import login_server_uri

    return login_server_uri(request)


def auth_ldap_settings(directory: dict) -> dict:
    """django-auth-ldap's settings for a directory of either flavor (the test harness applies them
    again when it points the portal at another directory).

    A user logs in with its logon name (``uid`` on OpenLDAP, ``sAMAccountName`` on Active
    Directory), its CN or its userPrincipalName; roles come from the groups holding it in ``member``.
    """
    root = directory["HOSTING_ROOT"]
    if directory["FLAVOR"] in ("ad", "samba"):
        users = (
            "(&(sAMAccountType=805306368)"
            "(|(sAMAccountName=%(user)s)(cn=%(user)s)(userPrincipalName=%(user)s)))"
        )
        groups = "(objectClass=group)"
    else:
        users = "(&(objectClass=hostingUser)(|(uid=%(user)s)(cn=%(user)s)(userPrincipalName=%(user)s)))"
        groups = "(objectClass=hostingGroup)"
    options = {
        ldap.OPT_NETWORK_TIMEOUT: directory["TIMEOUT"],
        # every bind and search of a login waits this long at most (a frozen DC must not hold
        # the request, and with it a worker, for ever)
        ldap.OPT_TIMEOUT: directory.get("OPERATION_TIMEOUT", directory["TIMEOUT"]),
        ldap.OPT_REFERRALS: 0,
    }
    if directory.get("TLS_CACERT"):
        options.update(
            {
                ldap.OPT_X_TLS_CACERTFILE: directory["TLS_CACERT"],
                ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
                ldap.OPT_X_TLS_NEWCTX: 0,
            }
        )
    return {
        "AUTH_LDAP_SERVER_URI": _login_server_uri,
        "AUTH_LDAP_BIND_DN": directory["BIND_DN"],
        "AUTH_LDAP_BIND_PASSWORD": directory["BIND_PASSWORD"],
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(root, ldap.SCOPE_SUBTREE, users),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(root, ldap.SCOPE_SUBTREE, groups),
        "AUTH_LDAP_USER_FLAGS_BY_GROUP": {
            "is_staff": f"CN=DomainAdmins,{root}",
            "is_superuser": f"CN=DomainAdmins,{root}",
        },
    }


globals().update(auth_ldap_settings(DIRECTORY))
AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
AUTH_LDAP_GROUP_TYPE = MemberDNGroupType(member_attr="member")
# Directory groups named like a role become the Django group of that role (DESIGN.md "Roles").
AUTH_LDAP_MIRROR_GROUPS = ["DomainAdmins", "OrgCreators", "CustomerAdministrators"]
AUTH_LDAP_ALWAYS_UPDATE_USER = True
AUTH_LDAP_FIND_GROUP_PERMS = False
# Successful Basic-auth checks of the machine doors are remembered this long (seconds), keyed by
# a salted hash of the credentials, so that each request does not cost a directory bind.
PORTAL_CREDENTIAL_CACHE_SECONDS = env_int("PORTAL_CREDENTIAL_CACHE_SECONDS", 60)
# Every request re-checks its account (active, not deleted); at most this often (seconds) the
# account's directory entry and groups are read again, so a change made outside the portal's own
# procedures is seen within that time (portal/accounts.py).
PORTAL_ACCOUNT_RECHECK_SECONDS = env_int("PORTAL_ACCOUNT_RECHECK_SECONDS", 5)

# Failed-login throttling on every door (django-axes, portal/throttle.py): after this many failures
# for one account, or from one client address, logins of that account / from that address are
# refused for AXES_COOLOFF_TIME hours, the right password included.
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("PORTAL_LOGIN_LOCKOUT_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "portal.throttle.username_key"
AXES_LOCKOUT_CALLABLE = "portal.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "portal.throttle.client_address"
# Behind reverse proxies (PORTAL_TRUSTED_PROXIES, above) the client address is taken from
# X-Forwarded-For as the outermost of them saw it.

# A cache every process of the portal shares (credential checks, job progress): Redis when
# CACHE_URL names one, else files under var/cache.
CACHE_URL = env_str("CACHE_URL", None)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Background jobs ------------------------------------------------------------------------------
# With a broker (e.g. redis://127.0.0.1:6379/0) jobs go to Celery workers (`celery -A config worker`);
# without one they run in a pool of threads inside the web process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", None)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# An unacknowledged message (its worker died) is delivered again after this many seconds; a job
# still running by then is left to its worker (portal.jobs), a job whose worker died resumes.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# Periodic work (`celery -A config beat`): dunning every day at BILLING_DUNNING_HOUR (local time).
BILLING_DUNNING_HOUR = env_int("BILLING_DUNNING_HOUR", 6)
CELERY_BEAT_SCHEDULE = {
    "billing-dunning-daily": {
        "task": "billing.dunning_daily",
        "schedule": crontab(hour=BILLING_DUNNING_HOUR, minute=0),
    },
    "portal-jobs-sweep": {"task": "portal.jobs_sweep", "schedule": env_int("PORTAL_JOB_SWEEP_SECONDS", 60)},
    # batches a crash or a lost commit left unfinished (portal/engine/journal.py)
    "portal-directory-recover": {"task": "portal.directory_recover", "schedule": 60.0},
}
# The latest day a bill run may be dated: this many days after today (one bill cycle). A run dated
# later would bill months nobody has used yet (billing.money.bill_run_latest).
BILLING_RUN_HORIZON_DAYS = env_int("PORTAL_BILL_RUN_HORIZON_DAYS", 31)
PORTAL_JOB_WORKERS = env_int("PORTAL_JOB_WORKERS", 2)
# A running job's worker renews its lease every PORTAL_JOB_HEARTBEAT_SECONDS; a job whose lease
# ran out (or whose worker process on this host is gone) is resumed or failed by the sweep, which
# runs at start-up and every PORTAL_JOB_SWEEP_SECONDS (docs/engine.md, "Jobs").
PORTAL_JOB_HEARTBEAT_SECONDS = env_int("PORTAL_JOB_HEARTBEAT_SECONDS", 5)
PORTAL_JOB_LEASE_SECONDS = env_int("PORTAL_JOB_LEASE_SECONDS", 30)
PORTAL_JOB_SWEEP_SECONDS = env_int("PORTAL_JOB_SWEEP_SECONDS", 60)
PORTAL_JOB_MAX_ATTEMPTS = env_int("PORTAL_JOB_MAX_ATTEMPTS", 3)

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.auth.DirectoryBasicAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.CheckedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hosting provisioning and billing portal API",
    "DESCRIPTION": "Procedures of the engine and scoped read-only resources, under `/api/v1/<app>/`. "
    "The paths from before version 1 (`/api/procedures/`, `/api/organizations/`, `/api/billing/...`) "
    "still answer the same, marked deprecated, with `Deprecation` and `Link` headers.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "TAGS": [
        {"name": "portal", "description": "The engine's procedures: list them, run one."},
        {"name": "customers", "description": "Organizations, users and Plans database records."},
        {"name": "email", "description": "The hosted e-mail service."},
        {"name": "billing", "description": "Billing accounts, the catalogue, invoices, payments."},
        {
            "name": "deprecated (before v1)",
            "description": "The paths from before version 1: the same answers as their `/api/v1/` paths.",
        },
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.procedure_inputs",
        "portal.api.schema.document_errors",
        "portal.api.schema.version_paths",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
