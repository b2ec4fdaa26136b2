import functools
import os
import tomllib

from django.conf import settings


@functools.cache
def hindsight_version() -> str:
    """HINDSIGHT_VERSION when the image build sets it (say, to the git SHA), else the
    version in pyproject.toml."""
    if version := os.environ.get("HINDSIGHT_VERSION", "").strip():
        return version
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as project:
            return tomllib.load(project)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
