"""The label mapping and SLA settings read from the environment at start-up."""

import os
import subprocess
import sys

import pytest

from tests.config.test_settings import ROOT, start_up


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ALERTMANAGER_SEVERITY_MAP", "critical=P1"),
        ("ALERTMANAGER_SEVERITY_MAP", "critical"),
        ("SLA_TARGET_PERCENT", "lots"),
        ("SLA_TARGET_PERCENT", "101"),
        ("SLA_RESPONSE_TIME", "a day"),
    ],
)
def test_a_bad_alert_or_sla_setting_stops_start_up_naming_it(variable, value):
    result = start_up(DEBUG="1", **{variable: value})

    assert result.returncode != 0
    assert variable in result.stderr


def test_a_severity_map_from_the_environment_is_read_into_settings():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(sorted(settings.ALERTMANAGER_SEVERITY_MAP.items()))"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        LOG_LEVEL="WARNING",
        ALERTMANAGER_SEVERITY_MAP="page=sev1, ticket=SEV4",
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('page', 'SEV1'), ('ticket', 'SEV4')]"
