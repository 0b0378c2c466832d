"""Production is the default: required secrets fail at start-up, DEBUG stays off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"


def _start(env: dict) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PORTAL_DEMO", "SECRET_KEY", "LDAP_BIND_PASSWORD", "DEBUG"}
    }
    base.update(env, DJANGO_SETTINGS_MODULE="config.settings", PORTAL_VAR_DIR=str(ROOT / "var"))
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, check=False
    )


def test_missing_secret_key_fails_at_start_up():
    result = _start({})
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY must be set." in result.stderr


def test_missing_directory_password_fails_at_start_up():
    result = _start({"SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "The environment variable LDAP_BIND_PASSWORD must be set." in result.stderr


def test_production_defaults_are_safe():
    result = _start({"SECRET_KEY": "x" * 50, "LDAP_BIND_PASSWORD": "p"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_a_yes_no_variable_that_is_neither_is_refused():
    result = _start({"PORTAL_DEMO": "1", "DEBUG": "perhaps"})
    assert "DEBUG='perhaps' is not a yes/no value." in result.stderr


def test_the_failure_log_that_lockouts_reach_remembered_credentials_through_is_required(settings):
    from django.core.checks import run_checks

    assert not [found for found in run_checks() if found.id == "portal.E001"]
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = False
    assert [found.id for found in run_checks() if found.id.startswith("portal.")] == ["portal.E001"]
