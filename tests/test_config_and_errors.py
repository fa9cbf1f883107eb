"""Settings precedence, the default database, the schema gate, and error lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from agentctl.config import mask_secrets, resolve_settings
from agentctl.database import Database
from conftest import CLI


def _write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "agentctl.toml"
    path.write_text(body)
    return path


def test_precedence_option_env_file_default(tmp_path, monkeypatch):
    config = _write_config(
        tmp_path,
        '[database]\nurl = "sqlite:///from-file.db"\n[defaults]\ntenant = "file-t"\n'
        'agent = "file@x.com"\n[mail]\nsmtp_url = "smtp://file:25"\nfrom = "file@x.com"\n',
    )
    env = {"AGENTCTL_CONFIG": str(config)}
    s = resolve_settings({}, env)
    assert (s.database_url, s.tenant, s.agent) == ("sqlite:///from-file.db", "file-t", "file@x.com")
    assert (s.smtp_url, s.mail_from) == ("smtp://file:25", "file@x.com")
    assert not s.is_default_database

    env |= {"AGENTCTL_DATABASE_URL": "sqlite:///from-env.db", "AGENTCTL_TENANT": "env-t"}
    s = resolve_settings({}, env)
    assert (s.database_url, s.tenant, s.agent) == ("sqlite:///from-env.db", "env-t", "file@x.com")

    s = resolve_settings({"database_url": "sqlite:///opt.db", "tenant": "opt-t"}, env)
    assert (s.database_url, s.tenant) == ("sqlite:///opt.db", "opt-t")


def test_default_is_sqlite_in_user_data_dir(tmp_path):
    s = resolve_settings({}, {"XDG_DATA_HOME": str(tmp_path)})
    assert s.is_default_database
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("agentctl.db")
    assert s.mail_from.startswith("agentctl@")


def test_config_file_from_user_config_dir(tmp_path, monkeypatch):
    config_dir = tmp_path / "xdg-config" / "agentctl"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text('[defaults]\ntenant = "acme"\n')
    assert resolve_settings({}).tenant == "acme"


def test_missing_or_broken_config_file_is_exit_2(tmp_path, bare_cli: CLI):
    r = bare_cli("--config", str(tmp_path / "nope.toml"), "status")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: config file") and "does not exist" in r.stderr
    bad = _write_config(tmp_path, "[database\nurl=")
    r = bare_cli("--config", str(bad), "status")
    assert r.exit_code == 2 and "not valid TOML" in r.stderr


def test_default_database_is_created_and_migrated_on_first_use(tmp_path, bare_cli: CLI):
    r = bare_cli("agents", "add", "first@example.com", "--name", "First")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "xdg-data" / "agentctl" / "agentctl.db").exists()
    r = bare_cli("agents", "list", "--format", "json")
    assert [a["email"] for a in r.json()] == ["first@example.com"]


def test_url_database_without_schema_is_refused(empty_db_url, tmp_path):
    r = CLI(empty_db_url)("status")
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: database ") and "agentctl db upgrade" in r.stderr


def test_url_database_behind_head_is_refused(db_url):
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    engine.dispose()
    r = CLI(db_url)("status")
    assert r.exit_code == 1
    assert "is at revision 0000_older, not the newest" in r.stderr
    assert "run `agentctl db upgrade`" in r.stderr
    r = CLI(db_url)("db", "check")
    assert r.exit_code == 1


def test_db_commands(db_url):
    cli = CLI(db_url)
    assert cli("db", "check").exit_code == 0
    r = cli("db", "current")
    assert r.exit_code == 0 and "(head)" in r.stdout
    r = cli("db", "upgrade")
    assert r.exit_code == 0 and "already at" in r.stdout


def test_db_upgrade_migrates_an_empty_database(empty_db_url):
    cli = CLI(empty_db_url)
    assert cli("db", "check").exit_code == 1
    r = cli("db", "upgrade")
    assert r.exit_code == 0 and "upgraded empty ->" in r.stdout
    assert cli("db", "check").exit_code == 0


def test_unreachable_database_is_one_line_exit_1_with_password_masked():
    r = CLI("postgresql://admin:s3cret@127.0.0.1:1/desk")("status")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot use database ")
    assert r.stderr.count("\n") == 1
    assert "s3cret" not in r.stderr and "***" in r.stderr
    assert "Traceback" not in r.stderr


def test_debug_shows_traceback_still_masked():
    r = CLI("postgresql://admin:s3cret@127.0.0.1:1/desk")("--debug", "status")
    assert r.exit_code == 1
    assert "Traceback" in r.stderr
    assert "s3cret" not in r.stderr


@pytest.mark.parametrize(
    "url, message",
    [
        ("not a url", "invalid database URL"),
        ("mysql://root@localhost/desk", "unsupported database"),
    ],
)
def test_bad_database_url_is_exit_2(url, message):
    r = CLI(url)("status")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and message in r.stderr


def test_mask_secrets():
    text_ = "smtp+starttls://bot:pa%40ss@mail:587 and postgresql://u:p@h/db"
    assert mask_secrets(text_) == "smtp+starttls://bot:***@mail:587 and postgresql://u:***@h/db"


def test_usage_errors_from_typer_are_exit_2(cli):
    r = cli("agents", "add", "x@example.com")  # --name missing
    assert r.exit_code == 2
    r = cli("status", "--format", "yaml")
    assert r.exit_code == 2


def test_version(bare_cli):
    r = bare_cli("--version")
    assert r.exit_code == 0 and r.stdout.startswith("agentctl ")


def test_database_object_refuses_without_schema(empty_db_url):
    from agentctl.errors import SchemaOutOfDate

    db = Database(empty_db_url)
    with pytest.raises(SchemaOutOfDate), db.session():
        pass
    db.dispose()


def test_first_use_of_the_default_database_from_parallel_processes(tmp_path):
    """Several first commands at once all find (or make) a migrated default database."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "agentctl", "status", "--format", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [(code, out.strip(), err) for code, out, err in results] == [(0, "[]", "")] * 4
