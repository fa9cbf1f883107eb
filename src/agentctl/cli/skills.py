"""`agentctl skills`: who can handle what, and how well."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.context import FormatOption, app_context, lazy_module
from agentctl.rendering import Column, OutputFormat, build_table, render, stdout_console

if TYPE_CHECKING:
    from rich.text import Text

    from agentctl.services import skills as service
else:
    service = lazy_module("agentctl.services.skills")

skills_app = typer.Typer(help="List, set, import and map agent skills.", no_args_is_help=True)

ESCALATION_MARK = "★"


def _level(value: Any) -> Text:
    from rich.text import Text

    return Text(f"{value} {service.level_name(value)}")


SKILL_COLUMNS = [
    Column("agent_id", "id", in_table=False),
    Column("agent_email", "agent"),
    Column("skill_category", "category"),
    Column("skill_level", "level", display=_level),
    Column("can_handle_escalations", "escalations"),
    Column("tenant_id", "tenant", in_table=False),
]

AgentArgument = Annotated[str, typer.Argument(help="The agent, by email or id.")]
CategoryArgument = Annotated[str, typer.Argument(help="The skill category, e.g. network.")]


@skills_app.command("list")
def list_(
    ctx: typer.Context,
    agent: Annotated[
        str | None, typer.Argument(help="Only this agent (email or id).", show_default=False)
    ] = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="One category.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the active agents' skills (or one agent's)."""
    app = app_context(ctx)
    with app.db.session() as session:
        rows = service.list_skills(session, app.tenant, agent, category)
    render(rows, SKILL_COLUMNS, fmt, empty_message="No skills.")


@skills_app.command("set")
def set_(
    ctx: typer.Context,
    agent: AgentArgument,
    category: CategoryArgument,
    level: Annotated[str, typer.Argument(help="1-4 or Beginner, Intermediate, Advanced, Expert.")],
    escalations: Annotated[
        bool | None,
        typer.Option(
            "--escalations/--no-escalations",
            help="Whether the agent can take escalated tickets (default: unchanged; new: no).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create or update an agent's skill in a category."""
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row, created = service.set_skill(session, app.tenant, agent, category, level, escalations)
    level_value = row["skill_level"]
    typer.echo(
        f"{'added' if created else 'updated'} {row['agent_email']}: {row['skill_category']} "
        f"level {level_value} ({service.level_name(level_value)}), escalations "
        f"{'yes' if row['can_handle_escalations'] else 'no'}"
    )


@skills_app.command("remove")
def remove(ctx: typer.Context, agent: AgentArgument, category: CategoryArgument) -> None:
    """Remove an agent's skill in a category."""
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        service.remove_skill(session, app.tenant, agent, category)
    typer.echo(f"removed {agent}: {category.strip().lower()}")


@skills_app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="CSV with agent,category,level[,can_handle_escalations].")
    ],
) -> None:
    """Create or update skills from a CSV file; one bad row and nothing is imported."""
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        result = service.import_skills(session, path, app.tenant)
    typer.echo(result.describe("skills"))


def _cell_text(cell: service.MatrixCell | None) -> Text:
    from rich.text import Text

    if cell is None:
        return Text("-", style="dim")
    text = Text(f"{cell.level} {service.level_name(cell.level)}")
    if cell.can_handle_escalations:
        text.append(f" {ESCALATION_MARK}", style="bold yellow")
    return text


def _cell_csv(cell: service.MatrixCell | None) -> str | None:
    if cell is None:
        return None
    return f"{cell.level}{'*' if cell.can_handle_escalations else ''}"


@skills_app.command("matrix")
def matrix(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Agents x categories: each cell is the level, ★ when the agent takes escalations.

    JSON gives each agent a ``skills`` object {category: {level, can_handle_escalations}};
    CSV has a column per category holding the level, with ``*`` for escalations.
    """
    app = app_context(ctx)
    with app.db.session() as session:
        grid = service.skill_matrix(session, app.tenant)
    identity = [Column("agent_id", in_table=False), Column("agent_name", "agent")]
    identity.append(Column("agent_email", "email"))
    if fmt is OutputFormat.json:
        rows = [
            {
                "agent_id": r.agent_id,
                "agent_name": r.agent_name,
                "agent_email": r.agent_email,
                "skills": {c: cell.as_dict() for c, cell in r.cells.items()},
            }
            for r in grid.rows
        ]
        render(rows, [*identity, Column("skills")], fmt)
        return
    columns = [*identity, *(Column(c, c, display=_cell_text) for c in grid.categories)]
    if fmt is OutputFormat.csv:
        csv_rows = [
            {
                "agent_id": r.agent_id,
                "agent_name": r.agent_name,
                "agent_email": r.agent_email,
                **{c: _cell_csv(r.cells.get(c)) for c in grid.categories},
            }
            for r in grid.rows
        ]
        render(csv_rows, columns, fmt)
        return
    if not grid.rows:
        stdout_console().print("No active agents.")
        return
    table_rows = [
        {"agent_name": r.agent_name, "agent_email": r.agent_email, **r.cells} for r in grid.rows
    ]
    table = build_table(table_rows, columns)
    table.caption = f"{ESCALATION_MARK} can take escalations"
    stdout_console().print(table)


def _flag(value: Any) -> Text:
    from rich.text import Text

    return Text(str(value), style="bold red" if value else "dim")


COVERAGE_COLUMNS = [
    Column("tenant_id", "tenant"),
    Column("category"),
    Column("active_agents", "active", justify="right"),
    Column("available_agents", "available now", justify="right"),
    Column("beginner", justify="right"),
    Column("intermediate", justify="right"),
    Column("advanced", justify="right"),
    Column("expert", justify="right"),
    Column("escalation_agents", "escalations", justify="right"),
    Column("open_tickets", "open tickets", justify="right"),
    Column("uncovered_tickets", "no one to take", justify="right"),
    Column("unassigned_tickets", "unassigned", justify="right"),
    Column("uncovered_unassigned", "unassigned, no one", display=_flag, justify="right"),
]
# The table fits 80 columns: the four level counts share one column, the tenant column
# shows only on a desk with tenants, and of the gaps it shows the unassigned tickets
# (JSON and CSV carry every field).
COVERAGE_TABLE = [
    Column("tenant_id", "tenant"),
    Column("category"),
    Column("active_agents", "agents", justify="right"),
    Column("available_agents", "avail.", justify="right"),
    Column("levels", "levels 1·2·3·4", justify="right"),
    Column("escalation_agents", "esc.", justify="right"),
    Column("open_tickets", "open", justify="right"),
    Column("unassigned_tickets", "no agent", justify="right"),
    Column("uncovered_unassigned", "no one to take", display=_flag, justify="right"),
]


@skills_app.command("coverage")
def coverage(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Per category: agents active, available now, at each level, taking escalations.

    A category with unassigned open tickets that no available agent can take is flagged
    with a warning on stderr (the exit code stays 0); tickets that already have an agent
    are counted in "no one to take" but never warned about.
    """
    app = app_context(ctx)
    with app.db.session() as session:
        result = service.coverage(session, app.tenant)
    columns, rows = COVERAGE_COLUMNS, result.rows
    if fmt is OutputFormat.table:
        rows = [
            {
                **r,
                "levels": "·".join(
                    str(r[k]) for k in ("beginner", "intermediate", "advanced", "expert")
                ),
            }
            for r in rows
        ]
        has_tenants = any(r["tenant_id"] is not None for r in rows)
        columns = [c for c in COVERAGE_TABLE if has_tenants or c.key != "tenant_id"]
    render(rows, columns, fmt, empty_message="No skills and no open tickets.")
    for row in result.uncovered:
        where = f" (tenant {row['tenant_id']})" if row["tenant_id"] is not None else ""
        sys.stderr.write(
            f"warning: category {row['category']!r}{where}: {row['uncovered_unassigned']} of "
            f"{row['unassigned_tickets']} unassigned open tickets have no available agent "
            "who can take them\n"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app, name="skills")
