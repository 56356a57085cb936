"""One settings module, driven by the environment (django-environ).

With no environment at all the project runs as the one-command demo: SQLite
under var/, Celery tasks run eagerly in the web process, files under
var/media. Set DATABASE_URL, CELERY_BROKER_URL and REDIS_URL for PostgreSQL,
Redis and real workers. Every variable is listed in the README.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --- Core -------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-demo-key-only-for-debug-runs-never-in-production-0123456789"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "crm_history",
    "crm",
    "backups",
    "restore_requests",
    "alerts",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.AccountMiddleware",
    "recovery_portal.middleware.RequestLimitsMiddleware",
    "recovery_portal.middleware.RefuseOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recovery_portal.urls"
WSGI_APPLICATION = "recovery_portal.wsgi.application"

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
                "accounts.context_processors.account",
                "alerts.context_processors.alert_banners",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)  # the demo's SQLite file lives here; a fresh clone has none
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, progress) --------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="rp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# django-axes first: it refuses a locked-out username and address before any check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date and time format on every page: 2026-11-25 14:03 (recovery_portal/formats).
FORMAT_MODULE_PATH = ["recovery_portal.formats"]

# --- Static and media files -------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Snapshots (backups app): MEDIA_ROOT/snapshots/<account>/<snapshot>/ by default (keep
# MEDIA_ROOT private), or an S3-compatible bucket with SNAPSHOT_STORAGE=s3 (extra "s3").
SNAPSHOT_STORAGE = env.str("SNAPSHOT_STORAGE", default="filesystem")
if SNAPSHOT_STORAGE == "s3":
    STORAGES["snapshots"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
elif SNAPSHOT_STORAGE == "filesystem":
    STORAGES["snapshots"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("SNAPSHOT_STORAGE must be 'filesystem' or 's3'.")

# --- E-mail -----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Recovery Portal <noreply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds an SMTP server may take
# The portal's address, for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Celery (see architecture.md, "Celery on Redis") --------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="recovery_portal")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3 * 3600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=2 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 300
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["backups-daily-snapshots"] = {
    # R6: every 15 minutes, queue the snapshots whose daily slot has passed.
    "task": "backups.schedule_daily_snapshots",
    "schedule": timedelta(minutes=15),
}
CELERY_BEAT_SCHEDULE["backups-reap-restore-runs"] = {
    # Runs left "running" by a worker that died are marked failed.
    "task": "backups.reap_restore_runs",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["backups-prune-snapshots"] = {
    # R7: delete snapshots older than seven days with their files. At minute 7 of
    # every hour, by the clock: a daily interval would restart its 24 hours each time
    # beat restarts without its schedule file (a redeployed container) and might never
    # come; pruning what is already pruned costs one query.
    "task": "backups.prune_snapshots",
    "schedule": crontab(minute=7),
}

# --- REST framework and the OpenAPI schema ------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAccountMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "recovery_portal.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "recovery_portal.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The empty choice of a filter (django-filter): "Any" rather than dashes.
FILTERS_EMPTY_CHOICE_LABEL = "Any"

SPECTACULAR_SETTINGS = {
    "TITLE": "Recovery Portal API",
    "DESCRIPTION": (
        "Find out who deleted what in the CRM, and get it back. Errors are always "
        '`{"code", "detail"}`, plus `fields` for validation errors.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RestoreOptionEnum": "backups.options.Option",
        "RestoreRequestStatusEnum": "restore_requests.models.Status",
        "SnapshotStatusEnum": "backups.models.Snapshot.Status",
    },
}

# --- Product settings -----------------------------------------------------------
DEMO_DAYS = 15
SNAPSHOT_RETENTION_DAYS = 7
SNAPSHOT_GZIP_LEVEL = env.int("SNAPSHOT_GZIP_LEVEL", default=6)
SNAPSHOT_USE_COPY = True  # PostgreSQL COPY fast path (False: the portable path)
SNAPSHOT_MAX_ATTEMPTS_PER_DAY = 3
RECYCLE_BIN_DAYS = env.int("RECYCLE_BIN_DAYS", default=30)
# The CSV import's upload limit (a larger file is refused with 413).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# R8: below this many deletions, a restore is impractical (re-enter or use the bin).
RESTORE_FEW_RECORDS_THRESHOLD = 20
HELPDESK_GROUP = "helpdesk"
# What helpdesk staff may view in the admin (never change): each app adds its own.
HELPDESK_VIEW_PERMISSIONS = [
    "accounts.view_account",
    "accounts.view_planchange",
    "crm_history.view_event",
    "backups.view_snapshot",
    "backups.view_restorerun",
    "restore_requests.view_restorerequest",
    "restore_requests.view_deletionreport",
]

# --- Security (production) --------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int(
        "SECURE_HSTS_SECONDS", default=int(timedelta(days=365).total_seconds())
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Failed log-ins (django-axes; the login page, the admin's and POST /api/v1/auth/token/):
# after AXES_FAILURE_LIMIT failures for one username from one address, that pair is
# refused for the cool-off, even with the right password (a page, or 429 login_locked).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False

# API throttling (DRF, counters in the cache: Redis in production): 429 "throttled"
# with Retry-After. "login" is POST /api/v1/auth/token/, per address.
# NUM_PROXIES: how many trusted proxies put the client's address in X-Forwarded-For.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=0) or None
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
    "rest_framework.throttling.ScopedRateThrottle",
]
# JSON in, as api.md says (the CSV import declares its own multipart parser). OPTIONS
# is refused with 405 method_not_allowed (no metadata class; DRF's answered 200 for
# another account's ids, never looking the object up). Pages: RefuseOptionsMiddleware.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["rest_framework.parsers.JSONParser"]
REST_FRAMEWORK["DEFAULT_METADATA_CLASS"] = None
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env.str("THROTTLE_ANON", default="60/minute"),
    "user": env.str("THROTTLE_USER", default="1200/minute"),
    "login": env.str("THROTTLE_LOGIN", default="20/minute"),
}

# Content Security Policy (django-csp): only this site's own scripts, styles, images
# and forms; no inline script. Inline style *attributes* are allowed (style-src-attr)
# for the progress bars' width; no <style> element is. The API docs page adds its own
# inline style (recovery_portal.api.docs_view).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Every operation's 429, and 413 where it takes a body, and inputs as the API reads them,
# in the schema (after the enums).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "recovery_portal.api.add_shared_errors",
    "recovery_portal.api.document_inputs_as_read",
]
CSRF_FAILURE_VIEW = "accounts.csrf.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# django-axes logs each successful log-in at INFO; failures and lockouts are warnings.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}
