"""Finding 13: production settings pass ``manage.py check --deploy``, speak HTTPS only (behind a
proxy too), and what var/ holds is the portal's user's alone."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def _production_env(var_dir: Path, **more: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "DJANGO_"))}
    env.pop("DEBUG", None)
    # the file database under the data directory, whatever database the suite itself runs on
    env.pop("DATABASE_URL", None)
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        LDAP_BIND_PASSWORD="not-the-demo-one",
        ALLOWED_HOSTS="portal.example.com",
        PORTAL_VAR_DIR=str(var_dir),
        **more,
    )
    return env


def test_production_settings_pass_the_deploy_check(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path / "var"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_data_under_var_is_readable_by_the_portals_user_only(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=_production_env(var),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (var / "portal.sqlite3").exists()
    assert stat.S_IMODE(var.stat().st_mode) == 0o700  # nobody else may enter, list or read


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return Client()


def test_plain_http_is_redirected_and_https_behind_a_proxy_gets_hsts(https_only, db):
    plain = https_only.get("/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    proxied = https_only.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert https_only.get("/healthz").status_code == 200  # the liveness probe stays on plain HTTP
