"""`agentctl status`: badges, workloads, set and show."""

from __future__ import annotations

import io

from rich.console import Console
from rich.emoji import Emoji

from agentctl.rendering import Column, OutputFormat, badge, render
from factories import make_agent, make_ticket


def _seed(db) -> None:
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana", status="available", max_open_tickets=5)
        ben = make_agent(s, "ben@example.com", name="Ben", status="busy")
        make_agent(s, "old@example.com", name="Old", is_active=False)
        make_agent(s, "zed@example.com", name="Zed", tenant_id="acme", status="away")
        for status in ("open", "in_progress", "waiting", "resolved", "closed"):
            make_ticket(s, agent=ana, status=status)
        make_ticket(s, agent=ben, status="open")


def test_status_lists_active_agents_with_open_workload(cli, db):
    _seed(db)
    r = cli("status", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = r.json()
    assert [(a["agent_email"], a["status"], a["open_tickets"]) for a in rows] == [
        ("ana@example.com", "available", 3),  # open + in_progress + waiting
        ("ben@example.com", "busy", 1),
        ("zed@example.com", "away", 0),
    ]
    assert list(rows[0])[:7] == [
        "agent_id",
        "agent_name",
        "agent_email",
        "status",
        "status_message",
        "last_activity_at",
        "open_tickets",
    ]
    r = cli("--tenant", "acme", "status", "--format", "csv")
    assert r.stdout.splitlines()[0].startswith(
        "agent_id,agent_name,agent_email,status,status_message,last_activity_at,open_tickets"
    )
    assert len(r.stdout.splitlines()) == 2 and ",zed@example.com,away," in r.stdout


def test_set_and_show(cli, db):
    _seed(db)
    r = cli("status", "set", "ben@example.com", "available", "--message", "back", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert (r.json()[0]["status"], r.json()[0]["status_message"]) == ("available", "back")
    r = cli("--as", "ana@example.com", "status", "set", "away")
    assert r.exit_code == 0, r.stderr
    r = cli("--as", "ana@example.com", "status", "show", "-f", "json")
    assert r.json()[0]["status"] == "away" and r.json()[0]["open_tickets"] == 3
    r = cli("status", "show", "ben@example.com", "-f", "json")
    assert r.json()[0]["status_message"] == "back"


def test_bad_input_is_exit_2_and_changes_nothing(cli, db):
    _seed(db)
    before = cli("status", "-f", "json").stdout
    r = cli("status", "set", "ana@example.com", "sleeping")
    assert r.exit_code == 2
    assert r.stderr == (
        "error: invalid status 'sleeping'; use one of available, busy, away, offline\n"
    )
    r = cli("status", "set", "ghost@example.com", "busy")
    assert r.exit_code == 2 and r.stderr.startswith("error: unknown agent 'ghost@example.com'")
    r = cli("status", "set", "busy")
    assert r.exit_code == 2 and "--as" in r.stderr
    r = cli("status", "set", "old@example.com", "available")
    assert r.exit_code == 2 and "inactive" in r.stderr
    r = cli("--tenant", "acme", "status", "set", "ana@example.com", "busy")
    assert r.exit_code == 2 and "in tenant 'acme'" in r.stderr
    assert cli("status", "-f", "json").stdout == before


def test_badges_are_coloured_on_a_terminal_and_plain_when_piped():
    rows = [{"status": s} for s in ("available", "busy", "away", "offline")]
    columns = [Column("status", display=badge)]
    out = io.StringIO()
    render(rows, columns, OutputFormat.table, console=Console(file=out, force_terminal=True))
    text = out.getvalue()
    assert "\x1b[1;32m● available" in text  # bold green
    assert "\x1b[1;31m● busy" in text  # bold red
    assert "\x1b[1;33m● away" in text  # bold yellow
    assert "\x1b[90m● offline" in text  # grey
    piped = io.StringIO()
    render(rows, columns, OutputFormat.table, console=Console(file=piped))
    assert "\x1b[" not in piped.getvalue() and "● busy" in piped.getvalue()


def test_unknown_tenant_says_so_and_lists_the_tenants(cli, db):
    _seed(db)
    note = "note: tenant 'nosuch' has no agents; tenants with agents: (no tenant), acme\n"
    r = cli("--tenant", "nosuch", "status")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", note)
    r = cli("--tenant", "nosuch", "status", "-f", "json")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "[]\n", note)
    r = cli("--tenant", "nosuch", "agents", "list")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", note)
    r = cli("--tenant", "acme", "status", "-f", "json")
    assert r.stderr == ""  # a known tenant needs no note


def test_status_table_fits_80_columns(cli, db, monkeypatch):
    _seed(db)
    with db.session(write=True) as s:
        make_agent(s, "kai.vandenberg-oliveira@example.com", name="Kai van den Berg", status="away")
    cli("agents", "set", "ana@example.com", "--max-open", "3")
    monkeypatch.setenv("COLUMNS", "80")
    r = cli("status")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = lines[1]
    # no message anywhere: no message column; the workload is "workload", never "open"
    assert "message" not in header and "workload" in header and "open" not in header
    body = "\n".join(lines[3:])
    # what does not fit is dropped whole (last activity, tenant, then names): nothing is
    # cut or wrapped, each badge keeps its word, the agent at the cap is marked
    assert "…" not in r.stdout and len(lines) == 3 + 4 + 1  # one line per agent
    assert "kai.vandenberg-oliveira@example.com" in body
    assert "● available" in body and "● away" in body
    ana = next(line for line in lines if "ana@example.com" in line)
    assert "! 3/3" in ana
    ben = next(line for line in lines if "ben@example.com" in line)
    assert "!" not in ben
    monkeypatch.setenv("COLUMNS", "160")
    r = cli("status")
    header = r.stdout.splitlines()[1]
    assert all(h in header for h in ("agent", "last activity", "tenant"))  # zed is in acme
    assert "Kai van den Berg" in r.stdout


def test_table_shows_user_text_as_written(cli, db):
    """Names and messages are data: ":smile:" stays text (Rich would draw an emoji)."""
    with db.session(write=True) as s:
        make_agent(s, "ana@example.com", name="Ana :smile:", status="available")
    r = cli("status", "set", "ana@example.com", "busy", "--message", "on a call :phone:")
    assert r.exit_code == 0, r.stderr
    assert "Ana :smile:" in r.stdout and "on a call :phone:" in r.stdout
    r = cli("status")
    assert r.exit_code == 0, r.stderr
    assert "Ana :smile:" in r.stdout and "on a call :phone:" in r.stdout
    assert str(Emoji("smile")) not in r.stdout


def test_table_shows_markup_in_user_text_as_written(cli, db):
    """ "[bold]x" is a name, not a style; "[/x]" once crashed the table (MarkupError)."""
    with db.session(write=True) as s:
        make_agent(s, "ana@example.com", name="[bold]Ana", status="available")
        make_agent(s, "ben@example.com", name="Ben [/x]", status="busy")
    r = cli("status")
    assert r.exit_code == 0, r.stderr
    assert "[bold]Ana" in r.stdout and "Ben [/x]" in r.stdout
