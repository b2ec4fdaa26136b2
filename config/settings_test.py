"""Settings for the test suite: the real settings, with a throwaway secret and a fast
password hasher. The database still comes from DATABASE_URL, so the same suite runs on
SQLite by default and on PostgreSQL in CI's second pass."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
