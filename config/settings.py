"""Hindsight settings, read from the environment (see README, "Configuration")."""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import (
    env_bool,
    env_duration,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_time_zone,
    env_url,
)
from .logging import build_logging

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HINDSIGHT_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (use a long random string)"
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "incidents",
    "metrics",
    "django_prometheus",
    "ops",
]

MIDDLEWARE = [
    # Liveness answers before the Host check; the request id comes next, so every
    # later line of the request carries it; the Prometheus pair brackets the rest.
    "ops.middleware.LivenessMiddleware",
    "ops.middleware.RequestIdMiddleware",
    "ops.middleware.RejectNulMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "accounts.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes goes last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "incidents.context_processors.header_counts",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# Without DATABASE_URL Hindsight runs on SQLite under var/, so the run command needs
# nothing else. WAL and IMMEDIATE transactions keep the dev server and an in-process
# worker from tripping over "database is locked".
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # JIT compilation costs seconds on the large DORA aggregates and saves
        # nothing on the short queries that make up the rest of the app.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "options", "-c jit=off"
        )
else:
    # The embedded default must work from a fresh clone, where var/ (ignored by git)
    # does not exist yet: SQLite creates the file, not the folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "hindsight.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            # Fail fast when Redis is down: pages degrade instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
# With no broker configured, tasks run in-process at enqueue time (which is already
# after commit, since services enqueue through transaction.on_commit).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# A worker killed outright (SIGKILL, OOM) never acknowledges its task; Redis hands it
# to another worker once this many seconds pass. Keep it above the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
}
CELERY_BEAT_SCHEDULER = "ops.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    "export-memory-bank": {
        "task": "metrics.tasks.export_memory_bank",
        "schedule": timedelta(minutes=env_int("MEMORY_BANK_EXPORT_MINUTES", 15)),
    },
    # Hourly, but each owner gets at most one digest per day (ActionItemDigest).
    "send-action-item-digests": {
        "task": "incidents.tasks_digest.send_action_item_digests",
        "schedule": timedelta(hours=1),
    },
    "back-up-daily": {
        "task": "ops.tasks.back_up",
        "schedule": crontab(hour=env_int("BACKUP_HOUR_UTC", 2), minute=17),
    },
    "requeue-pending-deliveries": {
        "task": "incidents.tasks.requeue_pending_deliveries",
        "schedule": timedelta(minutes=2),
    },
    "evaluate-slos": {
        "task": "metrics.tasks_slo.evaluate_slos",
        "schedule": timedelta(minutes=env_int("SLO_EVALUATE_MINUTES", 5, minimum=1)),
    },
}
CELERY_IMPORTS = ["metrics.tasks_slo"]

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
# Addresses or networks of reverse proxies whose X-Forwarded-For is believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Sessions end after this much inactivity (accounts.middleware.IdleSessionMiddleware)
# and in any case after SESSION_MAX_AGE_HOURS.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 8 * 60, minimum=5) * 60
SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE_HOURS", 14 * 24, minimum=1) * 3600

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")  # the team's zone
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "incidents.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "incidents.errors.api_exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hindsight API",
    "DESCRIPTION": "Deployments, incidents, postmortems and delivery metrics.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["accounts.permissions.RolePermission"],
    # Swagger UI's assets come from the sidecar package: nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `check --deploy` is the production-safety gate (README, "Production"); keep the
    # OpenAPI schema's own lint out of it: `manage.py spectacular --validate
    # --fail-on-warn` is where schema gaps belong.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# --- Hindsight ------------------------------------------------------------------------
PRODUCTION_ENVIRONMENTS = env_list("PRODUCTION_ENVIRONMENTS", ["production"])
INFER_CAUSE_WITHIN = env_duration("INFER_CAUSE_WITHIN", timedelta(hours=24))
MEMORY_BANK_DIR = Path(env_str("MEMORY_BANK_DIR", str(VAR_DIR / "memory-bank")))
MEMORY_BANK_MAX_BYTES = env_int("MEMORY_BANK_MAX_BYTES", 100_000, minimum=10_000)
HINDSIGHT_BASE_URL = env_url("HINDSIGHT_BASE_URL", schemes=("http", "https")) or (
    "http://127.0.0.1:8000"
)
DORA_BENCHMARK_YEAR = env_int("DORA_BENCHMARK_YEAR", 2023)

# --- Postmortems and e-mail -----------------------------------------------------------
POSTMORTEM_DUE_DAYS = env_int("POSTMORTEM_DUE_DAYS", 5, minimum=1)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hindsight@localhost")

# --- Production security (README, "Production") -----------------------------------
# Behind TLS set SECURE=true: HTTPS redirect, HSTS and Secure cookies follow from it,
# and each can still be set on its own. The proxy must set X-Forwarded-Proto.
SECURE = env_bool("SECURE", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 31_536_000 if SECURE else 0, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=SECURE)
if env_bool("SECURE_PROXY_SSL_HEADER", default=SECURE):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=SECURE)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=SECURE)
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie: forms carry the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: every script comes from our own static files. Templates
# use a few style="" attributes (colours of freeze tags, chart sizes), which
# style-src-attr allows without allowing <style> elements.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

# --- Operations: health, metrics, backups -----------------------------------------
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7, minimum=1)
BACKUP_KEEP_WEEKLY = env_int("BACKUP_KEEP_WEEKLY", 4, minimum=0)
BACKUP_KEEP_MONTHLY = env_int("BACKUP_KEEP_MONTHLY", 3, minimum=0)
# /prometheus/metrics answers a bearer token, or callers from these addresses or
# networks. Never list a reverse proxy's address: everything it forwards comes from it.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_ADDRESSES = env_networks(
    "METRICS_ALLOWED_ADDRESSES", ["127.0.0.1", "::1"] if DEBUG else []
)
STATSD_HOST = env_str("STATSD_HOST")
STATSD_PORT = env_int("STATSD_PORT", 8125, minimum=1)
STATSD_PREFIX = env_str("STATSD_PREFIX", "hindsight")
# Workers and beat count as "seen" when their heartbeat is younger than this.
HEALTH_HEARTBEAT_MAX_AGE = env_duration(
    "HEALTH_HEARTBEAT_MAX_AGE", timedelta(minutes=2)
)
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- SLOs, SLA and alerts (metrics/slo/, incidents/services/alerts.py) ---------------
SLO_OVERRIDE_MAX_HOURS = env_int("SLO_OVERRIDE_MAX_HOURS", 72, minimum=1)
SLA_TARGET_PERCENT = env_str("SLA_TARGET_PERCENT", "99.5")
if (
    not re.fullmatch(r"\d{1,3}(\.\d+)?", SLA_TARGET_PERCENT)
    or float(SLA_TARGET_PERCENT) > 100
):
    raise ImproperlyConfigured("SLA_TARGET_PERCENT must be a percentage such as 99.5")
SLA_RESPONSE_TIME = env_duration("SLA_RESPONSE_TIME", timedelta(hours=24))
SLA_RESOLUTION_TIME = env_duration("SLA_RESOLUTION_TIME", timedelta(hours=48))
ALERTMANAGER_SEVERITY_LABEL = env_str("ALERTMANAGER_SEVERITY_LABEL", "severity")
ALERTMANAGER_SERVICE_LABELS = env_list(
    "ALERTMANAGER_SERVICE_LABELS", ["service", "app", "job"]
)
# "critical=SEV1,warning=SEV3": label value -> severity; unset keeps the defaults.
_severity_pairs = env_list("ALERTMANAGER_SEVERITY_MAP", [])
if any(
    not re.fullmatch(r"[^=]+=SEV[1-4]", pair, re.IGNORECASE) for pair in _severity_pairs
):
    raise ImproperlyConfigured(
        "ALERTMANAGER_SEVERITY_MAP must look like critical=SEV1,warning=SEV3"
    )
if _severity_pairs:
    ALERTMANAGER_SEVERITY_MAP = {
        label: severity.upper()
        for label, severity in (pair.split("=") for pair in _severity_pairs)
    }

# --- Logging --------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = build_logging(level=LOG_LEVEL, log_format=LOG_FORMAT)

# --- Deployment ingestion and notifications (issue 4) --------------------------------
# Inbound webhooks: an empty secret refuses every delivery (401) rather than trusting
# unsigned ones.
GITHUB_WEBHOOK_SECRET = env_str("GITHUB_WEBHOOK_SECRET")
GITLAB_WEBHOOK_TOKEN = env_str("GITLAB_WEBHOOK_TOKEN")
# Outgoing webhooks may not reach loopback, private, link-local or metadata addresses
# unless this is on (for a receiver inside the same private network).
ALLOW_PRIVATE_WEBHOOK_TARGETS = env_bool("ALLOW_PRIVATE_WEBHOOK_TARGETS", False)
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "incidents.api.schema.add_error_responses",
]
SPECTACULAR_SETTINGS["COMPONENT_SPLIT_REQUEST"] = True
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "DeploymentStatusEnum": "incidents.models.Deployment.Status",
    "IncidentStatusEnum": "incidents.models.Incident.Status",
    "PostmortemStatusEnum": "incidents.models.Postmortem.Status",
    "ActionItemStatusEnum": "incidents.models.ActionItem.Status",
    "DeliveryStatusEnum": "incidents.models.WebhookDelivery.Status",
}
