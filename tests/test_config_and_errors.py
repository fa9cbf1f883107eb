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


@pytest.mark.parametrize(
    "args, line",
    [
        (
            ["agents", "add", "x@y.z"],
            "error: missing option '--name' (see `agentctl agents add --help`)",
        ),
        (
            ["status", "--format", "yaml"],
            "error: invalid value for '--format' / '-f': 'yaml' is not one of 'table', "
            "'json', 'csv' (see `agentctl status --help`)",
        ),
        (
            ["demo", "--tickets", "3x"],
            "error: invalid value for '--tickets': '3x' is not a valid integer "
            "(see `agentctl demo --help`)",
        ),
        (["nosuch"], "error: no such command 'nosuch' (see `agentctl --help`)"),
        (
            ["tickets", "list", "--bogus"],
            "error: no such option: --bogus (see `agentctl tickets list --help`)",
        ),
    ],
)
def test_usage_errors_are_one_error_line_exit_2(cli, args, line):
    """Issue 13.6: no Click box (`Usage: …`, `Error: …`), one `error:` line, exit 2."""
    r = cli(*args)
    assert (r.exit_code, r.stderr, r.stdout) == (2, line + "\n", "")


def test_tenant_longer_than_the_column_is_exit_2_naming_it(cli):
    r = cli("--tenant", "t" * 65, "agents", "add", "a@example.com", "--name", "A")
    assert r.exit_code == 2
    assert r.stderr == "error: --tenant is 65 characters long; a tenant id has at most 64\n"
    r = cli("--tenant", "t" * 64, "agents", "list", "--format", "json")
    assert (r.exit_code, r.stdout) == (0, "[]\n")


def test_database_path_that_cannot_be_created_is_one_line_exit_1():
    r = CLI("sqlite:////etc/passwd/x.db")("status")
    assert r.exit_code == 1
    assert r.stderr == (
        "error: cannot create the database /etc/passwd/x.db: /etc/passwd is not a directory\n"
    )


def _sa_error(cls_name: str) -> BaseException:
    import sqlalchemy.exc

    cls = getattr(sqlalchemy.exc, cls_name)
    return cls("INSERT INTO t VALUES (?)", ("x",), Exception("the driver's message\nSQL: …"))


@pytest.mark.parametrize(
    "cls_name, code, line",
    [
        ("DataError", 2, "the database refused a value, nothing was changed: "),
        ("IntegrityError", 1, "the change conflicts with data written meanwhile, nothing "),
        ("OperationalError", 1, "cannot use the database: "),
        ("InterfaceError", 1, "cannot use the database: "),
        ("ProgrammingError", 1, "the database refused a statement: "),
        ("NotSupportedError", 1, "the database refused a statement: "),
        ("InternalError", 1, "database error: "),
        ("DatabaseError", 1, "database error: "),
    ],
)
def test_every_database_error_class_maps_to_one_line(cls_name, code, line):
    """Issue 13.11: the one handler knows each DBAPI error class (errors.py)."""
    from agentctl.errors import as_agentctl_error

    mapped = as_agentctl_error(_sa_error(cls_name))
    assert mapped is not None
    assert int(mapped.exit_code) == code
    assert mapped.message.startswith(line)
    assert "the driver's message" in mapped.message
    assert "\n" not in mapped.message and "SQL:" not in mapped.message


def test_value_the_database_rejects_is_one_line_not_a_traceback(cli, backend):
    """A cap beyond a 32-bit integer: PostgreSQL raises DataError, SQLite stores it."""
    r = cli("agents", "add", "big@example.com", "--name", "Big", "--max-open", "99999999999")
    if backend == "postgresql":
        assert r.exit_code == 2
        assert r.stderr.startswith("error: the database refused a value, nothing was changed: ")
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert cli("agents", "list", "--format", "json").json() == []
    else:
        assert r.exit_code == 0, r.stderr


def test_misspelled_config_key_warns_naming_file_and_key(tmp_path, cli):
    config = _write_config(tmp_path, '[defaults]\ntennant = "acme"\n[mail]\nfrom = "a@b.c"\n')
    r = cli("--config", str(config), "agents", "list", "--format", "json")
    assert r.exit_code == 0 and r.stdout == "[]\n"
    assert r.stderr == (
        f"warning: {config}: unknown key 'defaults.tennant' is ignored; "
        "did you mean 'defaults.tenant'?\n"
    )


def test_example_config_copied_where_its_header_says_gives_a_working_status(tmp_path):
    """Issue 13.18: examples/config.toml, copied as is, changes nothing and warns nothing."""
    import shutil

    from conftest import run_agentctl

    example = Path(__file__).resolve().parents[1] / "examples" / "config.toml"
    assert "~/.config/agentctl/config.toml" in example.read_text()
    home = tmp_path / "home"
    (home / ".config" / "agentctl").mkdir(parents=True)
    shutil.copy(example, home / ".config" / "agentctl" / "config.toml")
    env = {"HOME": str(home), "XDG_DATA_HOME": str(tmp_path / "data")}
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    r = run_agentctl("status", "--format", "json", env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "[]\n", "")


def test_every_commented_setting_of_the_example_config_is_a_known_key():
    from agentctl.config import unknown_keys

    example = Path(__file__).resolve().parents[1] / "examples" / "config.toml"
    table, seen = None, {}
    for raw in example.read_text().splitlines():
        line = raw.strip().lstrip("#").strip()
        if line.startswith("[") and line.endswith("]"):
            table = line[1:-1]
        elif "=" in line and table and not line.startswith(("smtp://", "Default")):
            key = line.split("=", 1)[0].strip()
            seen.setdefault(table, {})[key] = 1
    assert seen == {
        "database": {"url": 1},
        "defaults": {"tenant": 1, "agent": 1},
        "mail": {"smtp_url": 1, "from": 1},
    }
    assert unknown_keys(seen) == []


def test_demo_creates_and_migrates_a_new_sqlite_file(tmp_path):
    """Issue 13.19: `--db sqlite:////tmp/big.db demo` works without `db upgrade`."""
    path = tmp_path / "new" / "big.db"
    r = CLI(f"sqlite:///{path}")("demo", "--agents", "3", "--tickets", "20")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("demo data: 3 agents, 20 tickets")
    assert CLI(f"sqlite:///{path}")("db", "check").exit_code == 0


def test_demo_still_refuses_an_out_of_date_database(db_url):
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    engine.dispose()
    r = CLI(db_url)("demo", "--agents", "2", "--tickets", "5")
    assert r.exit_code == 1 and "run `agentctl db upgrade`" in r.stderr


def test_help_texts_a_newcomer_reads(bare_cli):
    """Issue 13.17: report's range default depends on the report; no help cut at "(e.g."."""
    r = bare_cli("report", "--help")
    assert "7d for performance and sla-breaches, all for aging and workload" in " ".join(
        r.stdout.split()
    )
    listing = bare_cli("schedule", "--help").stdout
    assert "(e.g." not in listing
    assert "run-now  Run a schedule's report now, for example to retry a failed run." in listing
    for out in (listing, bare_cli("--help").stdout):
        assert "..." not in out.split("Commands:")[1]  # no listing cut short


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


def _run_with_reader_leaving(args: list[str], *, read_lines: int) -> tuple[int, str]:
    """Run agentctl with stdout on a pipe whose reader stops after ``read_lines`` lines
    (as `| head -N` does); return the exit code and stderr."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "agentctl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    for _ in range(read_lines):
        proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    return proc.wait(timeout=120), stderr


def test_reader_leaving_early_is_exit_0_without_a_message(db_url):
    """Issue 13.7: `tickets list -f csv | head -1` is not a failure (the reader leaving
    before the first write, or after the first line)."""
    r = CLI(db_url)("demo", "--agents", "5", "--tickets", "3000", "--seed", "1")
    assert r.exit_code == 0, r.stderr
    for read_lines in (0, 1):
        code, stderr = _run_with_reader_leaving(
            ["--db", db_url, "tickets", "list", "-f", "csv"], read_lines=read_lines
        )
        assert (read_lines, code, stderr) == (read_lines, 0, "")


def test_report_to_a_reader_leaving_early_is_a_succeeded_run(db_url):
    """Issue 13.7: `report … -o - | head` records the run as succeeded with its rows."""
    r = CLI(db_url)("demo", "--agents", "5", "--tickets", "3000", "--seed", "1")
    assert r.exit_code == 0, r.stderr
    args = ["--db", db_url, "report", "sla-breaches", "--range", "all", "-f", "csv", "-o", "-"]
    code, stderr = _run_with_reader_leaving(args, read_lines=0)
    assert (code, stderr) == (0, "")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, rows, error FROM report_runs")).all()
    engine.dispose()
    assert len(runs) == 1
    status, rows, error = runs[0]
    assert (status, error) == ("succeeded", None)
    assert rows is not None and rows >= 0
