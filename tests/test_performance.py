"""`agentctl performance`: metrics checked against figures worked out by hand.

Every expected number below is computed in the comments from the ticket timestamps, not
from the SQL; each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from agentctl.timeutil import parse_datetime
from factories import T0, make_agent, make_ticket

AS_OF = "2026-10-03T08:00:00Z"  # T0 + 2 days
H = timedelta(hours=1)
M = timedelta(minutes=1)


def dt(text: str):
    return parse_datetime(text)


def by_email(rows: object) -> dict[str, dict[str, object]]:
    assert isinstance(rows, list)
    return {row["agent_email"]: row for row in rows}


@pytest.fixture
def desk(db):
    """alice: six tickets covering every rule; bob: none; carol: inactive."""
    with db.session(write=True) as s:
        alice = make_agent(s, "alice@example.com", name="Alice")
        make_agent(s, "bob@example.com", name="Bob")
        carol = make_agent(s, "carol@example.com", name="Carol", is_active=False)
        # 1. resolved exactly at its due time: met. Resolution 120 m, first response 15 m.
        make_ticket(
            s,
            agent=alice,
            status="resolved",
            created_at=T0,
            first_response_at=T0 + 15 * M,
            resolved_at=T0 + 2 * H,
            sla_due_date=T0 + 2 * H,
        )
        # 2. closed (counts as resolved) an hour late: breached. Resolution 240 m,
        #    first response 30 m, escalated.
        make_ticket(
            s,
            agent=alice,
            status="closed",
            created_at=T0 + H,
            first_response_at=T0 + H + 30 * M,
            resolved_at=T0 + 5 * H,
            sla_due_date=T0 + 4 * H,
            escalation_level=2,
        )
        # 3. open, due an hour after as_of: counted in neither met nor breached.
        make_ticket(
            s,
            agent=alice,
            status="open",
            created_at=T0 + 2 * H,
            sla_due_date=dt(AS_OF) + H,
        )
        # 4. in progress and past due at as_of: breached. First response 45 m.
        make_ticket(
            s,
            agent=alice,
            status="in_progress",
            created_at=T0 + 3 * H,
            first_response_at=T0 + 3 * H + 45 * M,
            sla_due_date=T0 + 24 * H,
        )
        # 5. waiting, no due date: outside the SLA rate.
        make_ticket(s, agent=alice, status="waiting", created_at=T0 + 4 * H)
        # 6. resolved without a first response: resolution 60 m; first response stays
        #    out of the average (no fallback to resolved_at).
        make_ticket(
            s, agent=alice, status="resolved", created_at=T0 + 6 * H, resolved_at=T0 + 7 * H
        )
        # carol is inactive: neither she nor her ticket shows.
        make_ticket(s, agent=carol, status="resolved", created_at=T0, resolved_at=T0 + H)
        # an unassigned ticket belongs to nobody's cohort.
        make_ticket(s, status="open", created_at=T0)
    return db


ALICE = {
    "agent_name": "Alice",
    "agent_email": "alice@example.com",
    "total_assigned": 6,
    "total_resolved": 3,  # tickets 1, 2 (closed) and 6
    "total_open": 1,
    "total_in_progress": 1,
    "total_waiting": 1,
    "avg_resolution_time_minutes": 140.0,  # (120 + 240 + 60) / 3
    "avg_first_response_time_minutes": 30.0,  # (15 + 30 + 45) / 3
    "sla_compliance_rate": 33.33,  # met 1 (#1), breached 2 (#2, #4)
    "escalation_rate": 16.67,  # 1 / 6
    # resolutions 60, 120, 240: median 120; p90 at rank 0.9 x 2 = 1.8: 120 + 0.8 x 120
    "median_resolution_time_minutes": 120.0,
    "p90_resolution_time_minutes": 216.0,
    # first responses 15, 30, 45: median 30; p90: 30 + 0.8 x 15
    "median_first_response_time_minutes": 30.0,
    "p90_first_response_time_minutes": 42.0,
    # no business minutes stored, no first-response due dates
    "avg_resolution_business_minutes": None,
    "avg_first_response_business_minutes": None,
    "first_response_sla_rate": None,
    "resolved_in_window": 3,  # 1, 2 and 6 resolved before as_of
}
BOB = {
    "agent_name": "Bob",
    "agent_email": "bob@example.com",
    "total_assigned": 0,
    "total_resolved": 0,
    "total_open": 0,
    "total_in_progress": 0,
    "total_waiting": 0,
    "avg_resolution_time_minutes": None,
    "avg_first_response_time_minutes": None,
    "sla_compliance_rate": None,
    "escalation_rate": None,
    "median_resolution_time_minutes": None,
    "p90_resolution_time_minutes": None,
    "median_first_response_time_minutes": None,
    "p90_first_response_time_minutes": None,
    "avg_resolution_business_minutes": None,
    "avg_first_response_business_minutes": None,
    "first_response_sla_rate": None,
    "resolved_in_window": 0,
}


def without_id(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k != "agent_id"}


def test_metrics_follow_the_definitions(desk, cli):
    r = cli("performance", "--range", "all", "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = r.json()
    assert [without_id(row) for row in rows] == [ALICE, BOB]
    assert list(rows[0]) == ["agent_id", *ALICE]


def test_csv_has_the_json_fields(desk, cli):
    r = cli("performance", "--range", "all", "--as-of", AS_OF, "--format", "csv")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "agent_id,agent_name,agent_email,total_assigned,total_resolved,total_open,"
        "total_in_progress,total_waiting,avg_resolution_time_minutes,"
        "avg_first_response_time_minutes,sla_compliance_rate,escalation_rate,"
        "median_resolution_time_minutes,p90_resolution_time_minutes,"
        "median_first_response_time_minutes,p90_first_response_time_minutes,"
        "avg_resolution_business_minutes,avg_first_response_business_minutes,"
        "first_response_sla_rate,resolved_in_window"
    )
    assert lines[1].split(",", 1)[1] == (
        "Alice,alice@example.com,6,3,1,1,1,140.0,30.0,33.33,16.67,120.0,216.0,30.0,42.0,,,,3"
    )
    assert lines[2].split(",", 1)[1] == "Bob,bob@example.com,0,0,0,0,0,,,,,,,,,,,,0"
    assert len(lines) == 3


def test_sla_rate_uses_as_of_for_unresolved_tickets(desk, cli):
    # Before ticket 4 falls due (T0 + 24 h) it is in neither count: met 1, breached 1.
    r = cli("performance", "--range", "all", "--as-of", "2026-10-02T07:00:00Z", "-f", "json")
    assert by_email(r.json())["alice@example.com"]["sla_compliance_rate"] == 50.0
    # Exactly at the due time it is not yet breached (as_of > sla_due_date is needed).
    r = cli("performance", "--range", "all", "--as-of", "2026-10-02T08:00:00Z", "-f", "json")
    assert by_email(r.json())["alice@example.com"]["sla_compliance_rate"] == 50.0


def test_window_is_half_open_on_created_at(db, cli):
    since, until = T0, T0 + 24 * H
    with db.session(write=True) as s:
        alice = make_agent(s, "alice@example.com")
        make_ticket(s, agent=alice, created_at=since - timedelta(microseconds=1))  # before
        make_ticket(s, agent=alice, created_at=since)  # exactly at since: counts
        make_ticket(s, agent=alice, created_at=until - timedelta(seconds=1))  # counts
        make_ticket(s, agent=alice, created_at=until)  # exactly at until: does not
    r = cli(
        "performance",
        "--since",
        "2026-10-01T08:00:00Z",
        "--until",
        "2026-10-02T08:00:00Z",
        "--as-of",
        AS_OF,
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["total_assigned"] == 2
    # --range 1d from as_of = until is the same window.
    r = cli("performance", "--range", "1d", "--as-of", "2026-10-02T08:00:00Z", "-f", "json")
    assert r.json()[0]["total_assigned"] == 2


def test_timestamps_imported_with_offsets(db, cli, tmp_path: Path):
    with db.session(write=True) as s:
        make_agent(s, "alice@example.com")
    source = tmp_path / "tickets.csv"
    source.write_text(
        "ticket_number,subject,status,assignee,created_at,first_response_at,resolved_at,"
        "sla_due_date\n"
        # created 07:00Z, first response 07:10Z, resolved 08:30Z (90 m), due 08:30Z: met
        "A-1,One,resolved,alice@example.com,2026-10-01T09:00:00+02:00,"
        "2026-10-01T07:10:00+00:00,2026-10-01T03:30:00-05:00,2026-10-01T10:30:00+02:00\n"
        # created 07:30Z, exactly at --since; resolved 07:00-05:00 = 12:00Z (270 m),
        # due 11:30Z: breached
        "A-2,Two,closed,alice@example.com,2026-10-01T13:00:00+05:30,,"
        "2026-10-01T07:00:00-05:00,2026-10-01T11:30:00Z\n"
        # created 2026-10-02T08:00Z, exactly at --until: outside the window
        "A-3,Three,open,alice@example.com,2026-10-02T10:00:00+02:00,,,\n"
    )
    r = cli("tickets", "import", str(source))
    assert r.exit_code == 0, r.stderr
    r = cli(
        "performance",
        "--since",
        "2026-10-01T07:30:00Z",
        "--until",
        "2026-10-02T08:00:00+00:00",
        "--as-of",
        AS_OF,
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    (row,) = r.json()
    assert row["total_assigned"] == 1  # A-1 (07:00Z) is before since
    assert row["avg_resolution_time_minutes"] == 270.0
    assert row["sla_compliance_rate"] == 0.0
    r = cli("performance", "--range", "all", "--as-of", AS_OF, "-f", "json")
    (row,) = r.json()
    assert row["total_assigned"] == 3
    assert row["avg_resolution_time_minutes"] == 180.0  # (90 + 270) / 2
    assert row["avg_first_response_time_minutes"] == 10.0
    assert row["sla_compliance_rate"] == 50.0


def test_tenants_are_kept_apart(db, cli):
    with db.session(write=True) as s:
        a1 = make_agent(s, "lead@example.com", name="Ann", tenant_id="acme")
        b1 = make_agent(s, "lead@example.com", name="Ben", tenant_id="globex")
        make_ticket(s, tenant_id="acme", agent=a1, created_at=T0)
        make_ticket(s, tenant_id="globex", agent=b1, created_at=T0)
        make_ticket(s, tenant_id="globex", agent=b1, created_at=T0, escalation_level=1)
    r = cli("--tenant", "acme", "performance", "--range", "all", "--as-of", AS_OF, "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [(x["agent_name"], x["total_assigned"]) for x in r.json()] == [("Ann", 1)]
    r = cli("--tenant", "globex", "performance", "--range", "all", "--as-of", AS_OF, "-f", "json")
    assert [(x["agent_name"], x["total_assigned"], x["escalation_rate"]) for x in r.json()] == [
        ("Ben", 2, 50.0)
    ]
    r = cli("performance", "--range", "all", "--as-of", AS_OF, "-f", "json")
    assert [(x["agent_name"], x["total_assigned"]) for x in r.json()] == [("Ann", 1), ("Ben", 2)]


@pytest.fixture
def two_agents(db):
    """alice: 1 ticket, 60 m, met; bob: 3 tickets, 120 m each, all breached."""
    with db.session(write=True) as s:
        alice = make_agent(s, "alice@example.com", name="Alice")
        bob = make_agent(s, "bob@example.com", name="Bob")
        make_ticket(
            s,
            agent=alice,
            status="resolved",
            created_at=T0,
            first_response_at=T0 + 10 * M,
            resolved_at=T0 + H,
            sla_due_date=T0 + H,
        )
        for i in range(3):
            start = T0 + i * H
            make_ticket(
                s,
                agent=bob,
                status="resolved",
                created_at=start,
                first_response_at=start + 50 * M,
                resolved_at=start + 2 * H,
                sla_due_date=start + H,
            )
    return db


def test_table_summary_is_over_all_tickets(two_agents, cli):
    r = cli("performance", "--range", "all", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Performance: the beginning to 2026-10-03 08:00 UTC (all)"
    # resolution (60 + 3 x 120) / 4 = 105 m, not (60 + 120) / 2; SLA 1 of 4, not 50 %;
    # first response (10 + 3 x 50) / 4 = 40 m. Over all four tickets: resolutions
    # 60, 120, 120, 120 (median 120, p90 120); first responses 10, 50, 50, 50 (median 50,
    # p90 at rank 2.7: 50).
    assert lines[1:5] == [
        "active agents 2   assigned 4   resolved 4   resolved in window 4",
        "SLA compliance 25.0%   first response SLA -   escalated 0.0%",
        "resolution: avg 1h 45m   median 2h   p90 2h   avg business time -",
        "first response: avg 40m   median 50m   p90 50m   avg business time -",
    ]
    table = "\n".join(lines[5:])
    assert "│ Alice │        1 │        1 │         1 │" in table
    assert "1h" in table and "2h" in table and "100.0%" in table and "0.0%" in table


def test_sort_by_any_field(two_agents, cli):
    def order(*options: str) -> list[str]:
        r = cli("performance", "--range", "all", "--as-of", AS_OF, "-f", "json", *options)
        assert r.exit_code == 0, r.stderr
        return [row["agent_name"] for row in r.json()]

    assert order() == ["Alice", "Bob"]
    assert order("--sort", "total_assigned", "--desc") == ["Bob", "Alice"]
    assert order("--sort", "total_assigned", "--asc") == ["Alice", "Bob"]
    assert order("--sort", "sla_compliance_rate") == ["Bob", "Alice"]
    assert order("--sort", "agent_name", "--desc") == ["Bob", "Alice"]


def test_sort_puts_nulls_last(desk, cli):
    for direction in ("--asc", "--desc"):
        r = cli(
            "performance", "--range", "all", "--as-of", AS_OF, "-f", "json",
            "--sort", "avg_resolution_time_minutes", direction,
        )  # fmt: skip
        assert [row["agent_name"] for row in r.json()] == ["Alice", "Bob"]


def test_compare_adds_previous_window(db, cli):
    with db.session(write=True) as s:
        alice = make_agent(s, "alice@example.com", name="Alice")
        # previous window [T0 - 1d, T0): one ticket, resolved in 30 m, met
        make_ticket(
            s,
            agent=alice,
            status="resolved",
            created_at=T0 - 2 * H,
            resolved_at=T0 - 90 * M,
            sla_due_date=T0,
        )
        # this window [T0, T0 + 1d): two tickets, one resolved in 90 m and late
        make_ticket(
            s,
            agent=alice,
            status="resolved",
            created_at=T0,
            resolved_at=T0 + 90 * M,
            sla_due_date=T0 + H,
        )
        make_ticket(s, agent=alice, status="open", created_at=T0 + H)
    args = ("performance", "--range", "1d", "--as-of", "2026-10-02T08:00:00Z", "--compare")
    r = cli(*args, "-f", "json")
    assert r.exit_code == 0, r.stderr
    (row,) = r.json()
    assert row["total_assigned"] == 2
    assert row["total_assigned_previous"] == 1
    assert row["total_open_previous"] == 0
    assert row["avg_resolution_time_minutes"] == 90.0
    assert row["avg_resolution_time_minutes_previous"] == 30.0
    assert row["sla_compliance_rate"] == 0.0
    assert row["sla_compliance_rate_previous"] == 100.0
    assert row["avg_first_response_time_minutes_previous"] is None
    assert list(row)[20:] == [f"{name}_previous" for name in list(row)[3:20]]
    assert list(row)[19:21] == ["resolved_in_window", "total_assigned_previous"]
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    assert "compared with 2026-09-30 08:00 to 2026-10-01 08:00 UTC (previous 1d)" in r.stdout
    assert "assigned 2 ▲1" in r.stdout
    assert "SLA compliance 0.0% ▼100.0pp" in r.stdout
    assert "1h 30m ▲1h" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--range", "fortnight"), "error: unknown range 'fortnight'"),
        (
            ("--since", "2026-10-02", "--until", "2026-10-01"),
            "error: --since (2026-10-02T00:00:00+00:00) must be before --until",
        ),
        (("--since", "2026-10-02", "--until", "2026-10-02"), "error: --since"),
        (("--since", "yesterday"), "error: --since: invalid timestamp 'yesterday'"),
        (("--sort", "speed"), "error: unknown sort field 'speed'; use one of agent_id,"),
        (("--range", "all", "--compare"), "error: --compare needs a bounded window"),
        (("--watch", "soon"), "error: --watch: invalid interval 'soon'"),
        (("--watch", "5", "-f", "json"), "error: --watch redraws a table"),
    ],
)
def test_bad_options_exit_2(db, cli, args, message):
    r = cli("performance", *args)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_no_active_agents(db, cli):
    r = cli("performance", "--range", "all", "-f", "json")
    assert (r.exit_code, r.stdout) == (0, "[]\n")
    r = cli("performance")
    assert r.exit_code == 0
    assert "No active agents." in r.stdout


def count_statements(engine_cls: type[Engine], database: str | None, run):
    """The statements sent to ``database`` (other tests' clean-up threads aside)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if conn.engine.url.database == database:
            statements.append(statement)

    event.listen(engine_cls, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine_cls, "before_cursor_execute", listener)
    return statements


def test_statement_count_does_not_grow_with_agents(db, cli):
    def run() -> None:
        r = cli("performance", "--range", "7d", "--as-of", AS_OF, "-f", "json")
        assert r.exit_code == 0, r.stderr

    with db.session(write=True) as s:
        for i in range(2):
            make_ticket(s, agent=make_agent(s, f"a{i}@example.com"), created_at=T0)
    few = count_statements(Engine, db.engine.url.database, run)
    with db.session(write=True) as s:
        for i in range(2, 40):
            make_ticket(s, agent=make_agent(s, f"a{i}@example.com"), created_at=T0)
    many = count_statements(Engine, db.engine.url.database, run)
    assert len(few) == len(many)
    assert sum("FROM agents" in sql for sql in many) == 1


def test_bucket_metrics_per_day_and_week(two_agents):
    from agentctl.services.performance import bucket_metrics, summarize
    from agentctl.services.window import resolve_window

    window = resolve_window("7d", as_of="2026-10-03T08:00:00Z")
    with two_agents.session() as s:
        days = bucket_metrics(s, window, None, "day")
        weeks = bucket_metrics(s, window, None, "week")
        summary = summarize(s, window, None)
    # 2026-09-26 .. 2026-10-03: eight calendar days; the tickets are all on 2026-10-01.
    assert days[0].bucket_start.date().isoformat() == "2026-09-26"
    assert len(days) == 8
    (busy,) = [d for d in days if d.total_assigned]
    assert busy.as_dict() == {
        "bucket_start": dt("2026-10-01T00:00:00Z"),
        "total_assigned": 4,
        "total_resolved": 4,
        "total_open": 0,
        "total_in_progress": 0,
        "total_waiting": 0,
        "avg_resolution_time_minutes": 105.0,
        "avg_first_response_time_minutes": 40.0,
        "sla_compliance_rate": 25.0,
        "escalation_rate": 0.0,
        # resolutions 60, 120, 120, 120; first responses 10, 50, 50, 50 (see the summary)
        "median_resolution_time_minutes": 120.0,
        "p90_resolution_time_minutes": 120.0,
        "median_first_response_time_minutes": 50.0,
        "p90_first_response_time_minutes": 50.0,
        "avg_resolution_business_minutes": None,
        "avg_first_response_business_minutes": None,
        "first_response_sla_rate": None,
        # resolved on 2026-10-01 (T0 + 1 h and T0 + 2 h .. T0 + 4 h), the same day
        "resolved_in_window": 4,
    }
    # ISO weeks start on Monday: 2026-09-21 and 2026-09-28 (a Monday).
    assert [w.bucket_start.date().isoformat() for w in weeks] == ["2026-09-21", "2026-09-28"]
    assert [w.total_assigned for w in weeks] == [0, 4]
    assert summary.active_agents == 2
    assert summary.total_assigned == 4
    assert summary.as_dict()["avg_resolution_time_minutes"] == 105.0


def test_columns_choose_the_table_columns_not_the_json_fields(two_agents, cli):
    args = ("performance", "--range", "all", "--as-of", AS_OF)
    r = cli(*args, "--columns", "name, total_resolved,p90_resolution_time_minutes")
    assert r.exit_code == 0, r.stderr
    header = [line for line in r.stdout.splitlines() if line.startswith("┃")]
    assert "agent" in header[-1] and "resolved" in header[-1] and "resolution" in header[-1]
    assert "assigned" not in "".join(header)
    assert "│ Alice │        1 │         1h │" in r.stdout
    r = cli(*args, "--columns", "name,total_resolved", "-f", "json")
    assert len(r.json()[0]) == 20  # every field
    r = cli(*args, "--columns", "name,speed")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: --columns: unknown column 'speed'")
    assert len(r.stderr.splitlines()) == 1


@pytest.fixture
def spread(db):
    """dave: four resolutions (even count) and an open ticket; erin: one resolution."""
    with db.session(write=True) as s:
        dave = make_agent(s, "dave@example.com", name="Dave")
        erin = make_agent(s, "erin@example.com", name="Erin")
        for i, minutes in enumerate((80, 10, 40, 20)):  # not in order on purpose
            start = T0 + i * H
            make_ticket(
                s,
                agent=dave,
                status="resolved",
                created_at=start,
                resolved_at=start + minutes * M,
                # one first response only: 25 minutes
                first_response_at=start + 25 * M if i == 0 else None,
            )
        # no resolved_at: a NULL resolution, which the percentiles ignore (not a zero).
        make_ticket(s, agent=dave, status="open", created_at=T0 + 5 * H)
        make_ticket(s, agent=erin, status="resolved", created_at=T0, resolved_at=T0 + 90 * M)
    return db


def test_percentiles_even_odd_one_and_none(spread, cli):
    r = cli("performance", "--range", "all", "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = by_email(r.json())
    percentiles = (
        "median_resolution_time_minutes",
        "p90_resolution_time_minutes",
        "median_first_response_time_minutes",
        "p90_first_response_time_minutes",
    )
    # dave: resolutions 10, 20, 40, 80 (the open ticket's NULL left out).
    #   median: h = 0.5 x 3 = 1.5, 20 + 0.5 x (40 - 20) = 30
    #   p90:    h = 0.9 x 3 = 2.7, 40 + 0.7 x (80 - 40) = 68
    #   first response: one value, 25, is every percentile.
    assert [rows["dave@example.com"][k] for k in percentiles] == [30.0, 68.0, 25.0, 25.0]
    # erin: one resolution, 90; no first response at all: null, not zero.
    assert [rows["erin@example.com"][k] for k in percentiles] == [90.0, 90.0, None, None]


def test_desk_percentiles_are_over_all_tickets(spread, cli):
    r = cli("performance", "--range", "all", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    # The desk: resolutions 10, 20, 40, 80, 90 (odd count): median 40;
    # p90: h = 0.9 x 4 = 3.6, 80 + 0.6 x (90 - 80) = 86 m = 1h 26m. First response: 25 m.
    lines = r.stdout.splitlines()
    assert "resolution: avg 48m   median 40m   p90 1h 26m   avg business time -" in lines
    assert "first response: avg 25m   median 25m   p90 25m   avg business time -" in lines


def test_table_is_measured_on_each_columns_widest_row(monkeypatch):
    """The default table's width (which decides the columns that fit) is measured on the
    widest row of each column, and a table that fits is printed with those widths fixed,
    so Rich does not measure every agent's row. Both must give exactly what Rich gives on
    its own: the same width over every row, and the same printed table."""
    import io
    import random

    from rich.console import Console
    from rich.measure import Measurement

    from agentctl.cli.performance_view import (
        DEFAULT_COLUMNS,
        _fitting_table,
        _table_columns,
        _widest,
    )
    from agentctl.rendering import build_table

    rng = random.Random(5)

    def value(name: str) -> object:
        if name == "agent_name":
            return "x" * rng.randrange(1, 40)
        if name.startswith("total") or name == "resolved_in_window":
            return rng.randrange(10 ** rng.randrange(1, 7))
        if rng.random() < 0.1:
            return None
        return (
            rng.uniform(0, 100)
            if name.endswith("rate")
            else rng.uniform(0, 10 ** rng.randrange(1, 6))
        )

    rows = [{n: value(n) for n in DEFAULT_COLUMNS} for _ in range(150)]
    columns = _table_columns(DEFAULT_COLUMNS)
    widest, _ = _widest(rows, columns)
    assert len(widest) <= len(columns)
    console = Console(width=80)
    options = console.options.update_width(10_000)
    for n in range(1, len(columns) + 1):  # every prefix of the columns, as they are dropped
        whole = Measurement.get(console, options, build_table(rows, columns[:n])).maximum
        few = Measurement.get(console, options, build_table(widest, columns[:n])).maximum
        assert few == whole

    def printed(table: object, width: int) -> str:
        out = io.StringIO()
        Console(file=out, width=width, soft_wrap=False, color_system=None).print(table)
        return out.getvalue()

    for width in (60, 80, 100, 160):  # too narrow for any choice, some dropped, all fit
        monkeypatch.setenv("COLUMNS", str(width))
        table = _fitting_table(rows, None)
        # Rich's own layout of the same columns, measuring every row:
        chosen = [c for c in columns if c.title in {str(t.header) for t in table.columns}]
        assert printed(table, width) == printed(build_table(rows, chosen), width)
