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
    "hosting",
    "customers",
    "email_service",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.CurrentAccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"), conn_max_age=60
    )
}
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
    "TIMEOUT": env_int("LDAP_TIMEOUT", 10),
    # the certificate authority to trust for ldaps:// (Active Directory takes passwords only there)
    "TLS_CACERT": env_str("LDAP_TLS_CACERT", None),
}

# --- The mail servers -------------------------------------------------------------------------
# Postfix and Dovecot read the directory themselves (docs/mail.md); the portal needs only where
# they listen (shown on pages) and Dovecot's configuration, to read a mailbox's real usage with
# doveadm. `make run` starts a private pair with its configuration under var/mail.
SMTP_PORT = env_int("SMTP_PORT", 2525)
IMAP_PORT = env_int("IMAP_PORT", 1143)
MAIL = {
    "SMTP_HOST": env_str("SMTP_HOST", "127.0.0.1"),
    "SMTP_PORT": SMTP_PORT,
    "IMAP_HOST": env_str("IMAP_HOST", "127.0.0.1"),
    "IMAP_PORT": IMAP_PORT,
    "DOVECOT_CONFIG": env_str("DOVECOT_CONFIG", str(VAR_DIR / "mail" / "dovecot" / "dovecot.conf")),
}

# --- Login: django-auth-ldap ------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["portal.throttle.LoginThrottleBackend", "portal.auth.DirectoryBackend"]


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
    options = {ldap.OPT_NETWORK_TIMEOUT: directory["TIMEOUT"], ldap.OPT_REFERRALS: 0}
    if directory.get("TLS_CACERT"):
        options.update(
            {
                ldap.OPT_X_TLS_CACERTFILE: directory["TLS_CACERT"],
                ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
                ldap.OPT_X_TLS_NEWCTX: 0,
            }
        )
    return {
        "AUTH_LDAP_SERVER_URI": " ".join(directory["DOMAIN_CONTROLLERS"].values()),
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
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Periodic work (`celery -A config beat`): dunning every day at BILLING_DUNNING_HOUR (local time).
BILLING_DUNNING_HOUR = env_int("BILLING_DUNNING_HOUR", 6)
CELERY_BEAT_SCHEDULE = {
    "billing-dunning-daily": {
        "task": "billing.dunning_daily",
        "schedule": crontab(hour=BILLING_DUNNING_HOUR, minute=0),
    },
}
PORTAL_JOB_WORKERS = env_int("PORTAL_JOB_WORKERS", 2)

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
    "DESCRIPTION": "Procedures of the engine and scoped read-only resources.",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.procedure_inputs",
        "portal.api.schema.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
