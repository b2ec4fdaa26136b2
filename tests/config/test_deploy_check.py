import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "README.md"


def documented_production_env() -> dict[str, str]:
    """The ```env block of the README, with its placeholders filled in."""
    block = re.search(r"```env\n(.*?)```", DOCS.read_text(), re.S)[1]
    env = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    fillers = {
        "SECRET_KEY": "k" * 20 + "Q7#v9$Lp2&mZ4!xW8@rT6^yN3*bH5%jD1",
        "METRICS_TOKEN": "t" * 40,
    }
    return {
        key: fillers.get(key, value.replace("<password>", "pw"))
        for key, value in env.items()
    }


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_settings_pass_the_deploy_check_without_warning():
    env = documented_production_env()

    result = run_check(env)

    assert env["DEBUG"] == "false"
    assert env["SECURE"] == "true"
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_secure_the_deploy_check_fails_on_the_missing_protections():
    env = documented_production_env()
    del env["SECURE"]

    result = run_check(env)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_secure_turns_on_hsts_and_secure_cookies():
    env = documented_production_env()
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "Lax",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
