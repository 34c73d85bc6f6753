"""The ``casebook`` command: a thin click layer over :class:`casebook.Notebook`.

Exit codes: 0 ok; 1 invalid input or refused (one line on stderr, nothing written);
2 usage; 3 authentication; 4 integrity; 5 the disk or the folder failed (full, read-only,
I/O error: nothing left behind). ``--json`` prints machine-readable output on stdout.
The passphrase comes from ``CASEBOOK_PASSPHRASE`` or a prompt. Commands that take JSON read
``--file FILE``, or stdin when ``--file`` is absent or ``-``. Commands that write a file never
create its folder and replace an existing file only with ``--force``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from casebook import clock, store
from casebook.commands import (
    emit_json,
    force_option,
    json_file_option,
    json_input,
    json_option,
    notebook_dir,
    open_notebook,
    parse_json,
    passphrase,
    read_bytes_input,
)
from casebook.errors import CasebookError, InvalidInputError
from casebook.i18n import _
from casebook.notebook import STATUSES, Notebook

log = logging.getLogger("casebook")

#: ``--limit`` and ``--offset``: counts of rows, bounded so that no number reaches SQLite's
#: 64-bit integers.
ROW_COUNT = click.IntRange(0, 1_000_000_000)


def json_value_input(value: str | None, file: str | None) -> Any:
    """A JSON value given inline (``--value``), else by the input convention (``--file``,
    else stdin)."""
    if value is not None and file is not None:
        raise click.UsageError(_("Give --value or --file, not both."))
    if value is not None:
        return parse_json(value, "--value")
    return json_input(file)


def export_options(command: Any) -> Any:
    """``--csv FILE``, ``--xlsx FILE`` and ``--force``: the command's table as a spreadsheet."""
    command = force_option(command)
    command = click.option(
        "--xlsx",
        "xlsx_file",
        type=click.Path(dir_okay=False),
        help="Write the table to an XLSX spreadsheet (labels in your language).",
    )(command)
    return click.option(
        "--csv",
        "csv_file",
        type=click.Path(dir_okay=False),
        help="Write the table to a CSV file (UTF-8, labels in your language).",
    )(command)


def export_tables(
    sheets: Any, csv_file: str | None, xlsx_file: str | None, force: bool, as_json: bool = False
) -> bool:
    """Write the spreadsheets asked for and print their paths; False when none was asked.

    Every target is checked before any is written: a refusal writes nothing.
    """
    from casebook import export

    targets = [(path, fmt) for path, fmt in ((csv_file, "csv"), (xlsx_file, "xlsx")) if path]
    if not targets:
        return False
    if as_json:
        raise click.UsageError(_("Choose --json or a spreadsheet (--csv, --xlsx), not both."))
    tables = sheets() if callable(sheets) else sheets
    for path, fmt in targets:
        export.check_target(path, fmt=fmt, replace=force)
    for path, fmt in targets:
        click.echo(str(export.write(tables, path, fmt=fmt, replace=force)))
    return True


class DefaultToGui(click.Group):
    """Plain ``casebook`` opens the app.

    Plugins' commands (``register_commands``) are looked up only for a name that no built-in
    command has, and for the list in ``--help``: a built-in command never imports a plugin,
    so ``casebook plugins disable NAME`` works whatever a plugin does when it is imported.
    """

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and _register_plugin_commands():
            command = super().get_command(ctx, name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register_plugin_commands()
        return super().list_commands(ctx)


@click.group(cls=DefaultToGui, invoke_without_command=True)
@click.option(
    "--notebook",
    type=click.Path(file_okay=False),
    envvar="CASEBOOK_NOTEBOOK",
    help="Notebook folder (default: CASEBOOK_NOTEBOOK, else the user data folder).",
)
@click.version_option(package_name="casebook")
@click.pass_context
def cli(ctx: click.Context, notebook: str | None) -> None:
    """Casebook: the encrypted case notebook. Without a command, opens the app."""
    if ctx.invoked_subcommand is None:
        from casebook.gui import main as gui_main

        gui_main(str(notebook_dir(ctx)))


@cli.command()
@click.pass_context
def gui(ctx: click.Context) -> None:
    """Open the desktop app."""
    from casebook.gui import main as gui_main

    gui_main(str(notebook_dir(ctx)))


@cli.command()
@click.option("--officer-id", required=True)
@click.option("--officer-name", required=True)
@click.option("--unit", required=True)
@click.pass_context
def init(ctx: click.Context, officer_id: str, officer_name: str, unit: str) -> None:
    """Create a notebook for this laptop's officer."""
    folder = notebook_dir(ctx)
    notebook = Notebook.create(
        folder,
        passphrase(confirm=True),
        officer_id=officer_id,
        officer_name=officer_name,
        unit=unit,
    )
    click.echo(
        _("Notebook created in {path} (device {device}).").format(
            path=folder, device=notebook.device_id
        )
    )
    notebook.close()


@cli.command()
@click.pass_context
def passwd(ctx: click.Context) -> None:
    """Change the passphrase (the data is not re-encrypted). New one from CASEBOOK_NEW_PASSPHRASE."""
    notebook = open_notebook(ctx)
    new = passphrase(_("New passphrase"), confirm=True, env="CASEBOOK_NEW_PASSPHRASE")
    notebook.change_passphrase(passphrase(), new)
    click.echo(_("Passphrase changed."))


# -- cases ---------------------------------------------------------------------------------


@cli.group()
def case() -> None:
    """Create, show and change cases."""


@case.command("new")
@click.option(
    "--type", "case_type", required=True, help="Case type, e.g. incident, missing_person."
)
@json_file_option
@click.option("--status", default="received", type=click.Choice(STATUSES))
@click.option(
    "--confirm-duplicate",
    is_flag=True,
    help="Keep a possible second file for the same person, linked to the other.",
)
@json_option
@click.pass_context
def case_new(
    ctx: click.Context,
    case_type: str,
    file: str | None,
    status: str,
    confirm_duplicate: bool,
    as_json: bool,
) -> None:
    """Create a case from JSON fields; prints the new id (with --json: the case, or the
    refusal with each problem's field and allowed codes)."""
    fields = json_input(file)
    created = open_notebook(ctx).create_case(
        case_type, fields, status=status, confirm=confirm_duplicate
    )
    if as_json:
        emit_json(created)
    else:
        click.echo(created.id)


@case.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--type", "case_type", required=True, help="Case type of every record.")
@click.pass_context
def case_import(ctx: click.Context, file: str, case_type: str) -> None:
    """Create many cases from a JSON Lines file (one object of fields per line; '-': stdin).

    Every line is validated before anything is written; prints how many were created.
    """
    records = []
    data = read_bytes_input(file)
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInputError(
                _("Line {n} is not UTF-8 text (byte {offset}).").format(
                    n=number, offset=error.start + 1
                )
            ) from error
        if line.strip():
            records.append((case_type, parse_json(line, _("line {n}").format(n=number))))
    notebook = open_notebook(ctx)
    # The bar is for a person at a terminal; a script reading stderr gets only the outcome.
    with click.progressbar(
        length=len(records),
        label=_("Importing"),
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
    ) as bar:
        done = [0]

        def advance(count: int, total: int | None) -> None:
            bar.update(count - done[0])
            done[0] = count

        ids = notebook.import_cases(records, progress=advance)
    click.echo(_("{count} cases created.").format(count=len(ids)))


@case.command("show")
@click.argument("case_id")
@json_option
@click.pass_context
def case_show(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Show a case with its timeline."""
    notebook = open_notebook(ctx)
    shown = notebook.get_case(case_id)
    if as_json:
        emit_json(shown)
        return
    click.echo(f"{shown.title}  [{shown.type}, {shown.status}]  {shown.id}")
    click.echo(
        _("  responsible officer: {officer}").format(
            officer=officer_label(notebook, shown.responsible_officer_id)
        )
    )
    for name, value in sorted(shown.fields.items()):
        click.echo(
            f"  {name}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
        )
    for conflict in shown.conflicts:
        values = " | ".join(json.dumps(v.value, ensure_ascii=False) for v in conflict.values)
        click.echo(_("  conflict on {field}: {values}").format(field=conflict.field, values=values))
    for entry in shown.entries:
        mark = " [x]" if entry.deleted else ""
        click.echo(f"  {entry.created_at} {entry.author} {entry.kind}{mark}: {entry.text}")
    for attachment in shown.attachments:
        click.echo(f"  📎 {attachment.id} {attachment.name} ({attachment.size} B)")


@case.command("update")
@click.argument("case_id")
@json_file_option
@click.option(
    "--confirm-duplicate",
    is_flag=True,
    help="Keep a possible second file for the same person, linked to the other.",
)
@click.pass_context
def case_update(
    ctx: click.Context, case_id: str, file: str | None, confirm_duplicate: bool
) -> None:
    """Set fields from a JSON object (null clears a field)."""
    open_notebook(ctx).update_case(case_id, json_input(file), confirm=confirm_duplicate)


@case.command("note")
@click.argument("case_id")
@click.argument("text")
@click.pass_context
def case_note(ctx: click.Context, case_id: str, text: str) -> None:
    """Add a note to a case."""
    click.echo(open_notebook(ctx).add_entry(case_id, "note", text).id)


@case.command("entry")
@click.argument("case_id")
@click.argument("kind")
@click.argument("text")
@json_file_option
@click.pass_context
def case_entry(ctx: click.Context, case_id: str, kind: str, text: str, file: str | None) -> None:
    """Add an entry of any kind (action, ledger...) to a case, with optional JSON data."""
    data = json_input(file, required=False)
    click.echo(open_notebook(ctx).add_entry(case_id, kind, text, data).id)


@case.command("status")
@click.argument("case_id")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--reason", default=None)
@click.pass_context
def case_status(ctx: click.Context, case_id: str, status: str, reason: str | None) -> None:
    """Move a case to a new status."""
    open_notebook(ctx).set_status(case_id, status, reason)


@case.command("assign")
@click.argument("case_id")
@click.argument("officer_id")
@click.option("--note", default=None, help="Why the case is handed over (kept in its history).")
@click.pass_context
def case_assign(ctx: click.Context, case_id: str, officer_id: str, note: str | None) -> None:
    """Hand a case over to another officer of the station (the duty leader's reassignment)."""
    notebook = open_notebook(ctx)
    notebook.assign_case(case_id, officer_id, note)
    click.echo(
        _("{case} is now the responsibility of {officer}.").format(
            case=case_id, officer=officer_label(notebook, officer_id)
        )
    )


def officer_label(notebook: Notebook, officer_id: str) -> str:
    """An officer as the CLI prints them: the roster name with the officer id."""
    name = notebook.officer_name(officer_id)
    return f"{name} ({officer_id})" if name != officer_id else officer_id


@cli.command()
@json_option
@export_options
@click.pass_context
def officers(
    ctx: click.Context, as_json: bool, csv_file: str | None, xlsx_file: str | None, force: bool
) -> None:
    """The station roster: every officer known here (profiles arrive by sync)."""
    from casebook.export import officer_sheet

    notebook = open_notebook(ctx)
    roster = notebook.officers()
    if export_tables(lambda: officer_sheet(roster), csv_file, xlsx_file, force, as_json):
        return
    if as_json:
        emit_json(roster)
        return
    for officer in roster:
        click.echo(f"{officer.officer_id:<12} {officer.name:<10} {officer.unit}")


@case.command("delete")
@click.argument("case_id")
@click.pass_context
def case_delete(ctx: click.Context, case_id: str) -> None:
    """Delete a case (a tombstone: it stays in the audit trail)."""
    open_notebook(ctx).delete_case(case_id)


@case.command("list")
@click.option("--type", "case_type")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--officer", help="Only cases this officer is responsible for (officer id).")
@click.option("--received-by", "received_by", help="Only cases this officer created.")
@click.option("--since")
@click.option("--until")
@click.option("--limit", default=100, show_default=True, type=ROW_COUNT)
@click.option("--offset", default=0, type=ROW_COUNT)
@json_option
@export_options
@click.pass_context
def case_list(
    ctx: click.Context,
    case_type,
    status,
    officer,
    received_by,
    since,
    until,
    limit,
    offset,
    as_json,
    csv_file,
    xlsx_file,
    force,
) -> None:
    """List cases, newest change first, with the responsible officer."""
    from casebook.export import case_sheet

    notebook = open_notebook(ctx)
    rows = notebook.list_cases(
        case_type=case_type,
        status=status,
        officer_id=received_by,
        responsible_officer_id=officer,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    if export_tables(lambda: case_sheet(notebook, rows), csv_file, xlsx_file, force, as_json):
        return
    if as_json:
        emit_json(rows)
        return
    names = notebook.officer_names()
    for row in rows:
        responsible = names.get(row.responsible_officer_id, row.responsible_officer_id)
        click.echo(
            f"{row.id}  {row.updated_at}  {row.type:<15} {row.status:<12} {responsible:<8} {row.title}"
        )


@case.command("history")
@click.argument("case_id")
@json_option
@click.pass_context
def case_history(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """The audit trail of a case: every op, oldest first."""
    ops = open_notebook(ctx).history(case_id)
    if as_json:
        emit_json(ops)
        return
    for op in ops:
        when = clock.format_datetime(clock.hlc_datetime(op["hlc"]))
        click.echo(f"{when} {op['officer_id']} {op['kind']} {op['device_id'][:8]}#{op['seq']}")


@case.command("attach")
@click.argument("case_id")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def case_attach(ctx: click.Context, case_id: str, file: str) -> None:
    """Encrypt a file into the notebook and attach it; prints the attachment id."""
    click.echo(open_notebook(ctx).attach(case_id, file).id)


@case.command("export")
@click.argument("attachment_id")
@click.argument("dest", type=click.Path())
@force_option
@click.pass_context
def case_export(ctx: click.Context, attachment_id: str, dest: str, force: bool) -> None:
    """Decrypt an attachment to a file or an existing folder."""
    click.echo(str(open_notebook(ctx).export_attachment(attachment_id, dest, overwrite=force)))


@case.command("resolve")
@click.argument("case_id")
@click.argument("field")
@click.option("--value", "value", help="The chosen value, as JSON (else --file or stdin).")
@json_file_option
@click.pass_context
def case_resolve(
    ctx: click.Context, case_id: str, field: str, value: str | None, file: str | None
) -> None:
    """Settle a conflict on a field."""
    open_notebook(ctx).resolve_conflict(case_id, field, json_value_input(value, file))


@cli.command()
@json_option
@click.pass_context
def conflicts(ctx: click.Context, as_json: bool) -> None:
    """Fields with concurrent values from different laptops."""
    found = open_notebook(ctx).conflicts()
    if as_json:
        emit_json(found)
        return
    for conflict in found:
        values = " | ".join(
            f"{json.dumps(v.value, ensure_ascii=False)} ({v.author})" for v in conflict.values
        )
        click.echo(f"{conflict.case_id} {conflict.title} {conflict.field}: {values}")


@cli.command()
@click.argument("query")
@click.option("--limit", default=50, show_default=True, type=ROW_COUNT)
@json_option
@export_options
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    limit: int,
    as_json: bool,
    csv_file: str | None,
    xlsx_file: str | None,
    force: bool,
) -> None:
    """Find cases containing the text (any 1+ characters, Chinese included)."""
    from casebook.export import case_sheet

    notebook = open_notebook(ctx)
    rows = notebook.search(query, limit=limit)
    if export_tables(lambda: case_sheet(notebook, rows), csv_file, xlsx_file, force, as_json):
        return
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row.id}  {row.type:<15} {row.status:<12} {row.title}")


# -- tasks, alerts, review -----------------------------------------------------------------


@cli.command()
@click.option("--at", "at", help="Date or datetime to evaluate (default: now).")
@click.option("--all", "include_upcoming", is_flag=True, help="Include tasks due later.")
@click.option("--officer", help="Only tasks of cases this officer is responsible for.")
@json_option
@export_options
@click.pass_context
def tasks(
    ctx: click.Context,
    at: str | None,
    include_upcoming: bool,
    officer: str | None,
    as_json: bool,
    csv_file: str | None,
    xlsx_file: str | None,
    force: bool,
) -> None:
    """Tasks due and overdue (callbacks, supervision...), with the responsible officer."""
    from casebook.export import task_sheet

    notebook = open_notebook(ctx)
    found = notebook.tasks(at, include_upcoming=include_upcoming, responsible_officer_id=officer)
    if export_tables(lambda: task_sheet(notebook, found), csv_file, xlsx_file, force, as_json):
        return
    if as_json:
        emit_json(found)
        return
    names = notebook.officer_names()
    for task in found:
        late = (
            _(" overdue {hours} h").format(hours=task.overdue_seconds // 3600)
            if task.status == "overdue"
            else ""
        )
        responsible = names.get(task.responsible_officer_id, task.responsible_officer_id)
        click.echo(
            f"{task.id}  {task.due_at}  {task.status}{late}  {task.title}  — {task.case_title}"
            f"  [{responsible}]"
        )


@cli.group()
def task() -> None:
    """Record the outcome of a task."""


@task.command("done")
@click.argument("task_id")
@json_file_option
@click.pass_context
def task_done(ctx: click.Context, task_id: str, file: str | None) -> None:
    """Mark a task done, with its outcome as a JSON object (e.g. a callback's; none: {})."""
    outcome = json_input(file, required=False)
    if outcome is None:
        outcome = {}
    click.echo(open_notebook(ctx).complete_task(task_id, outcome).id)


@cli.command()
@click.option("--at", "at", help="Date or datetime to evaluate (default: now).")
@json_option
@click.pass_context
def alerts(ctx: click.Context, at: str | None, as_json: bool) -> None:
    """Escalations for the duty leader: investigation, cluster, urgent."""
    found = open_notebook(ctx).alerts(at)
    if as_json:
        emit_json(found)
        return
    for alert in found:
        click.echo(f"{alert.id}  [{alert.kind}] {alert.message} ({', '.join(alert.case_ids)})")
        if alert.acknowledged_by:
            click.echo(
                "    "
                + _("Signed off by {officer} at {at}: {note}").format(
                    officer=alert.acknowledged_by,
                    at=alert.acknowledged_at,
                    note=alert.acknowledged_note,
                )
            )


@cli.group()
def alert() -> None:
    """Sign off alerts (the duty leader's acknowledgement)."""


@alert.command("sign-off")
@click.argument("alert_id")
@click.option("--note", required=True, help="What the duty leader decided or ordered.")
@json_option
@click.pass_context
def alert_sign_off(ctx: click.Context, alert_id: str, note: str, as_json: bool) -> None:
    """Acknowledge an alert with a note (recorded, synced, shown with the alert)."""
    signed = open_notebook(ctx).sign_off_alert(alert_id, note)
    if as_json:
        emit_json(signed)
        return
    click.echo(
        _("Signed off by {officer} at {at}: {note}").format(
            officer=signed.acknowledged_by, at=signed.acknowledged_at, note=signed.acknowledged_note
        )
    )


@cli.command()
@click.argument("case_id", required=False)
@click.option(
    "--at", "at", help="Date or datetime to evaluate (default: the period's end, or now)."
)
@click.option("--from", "start", help="Only the cases reported from this date.")
@click.option("--to", "end", help="Only the cases reported up to this date (inclusive).")
@click.option(
    "--summary",
    is_flag=True,
    help="Only the figures: found, rectified, open and the rectification rate.",
)
@json_option
@export_options
@click.pass_context
def review(
    ctx: click.Context,
    case_id: str | None,
    at: str | None,
    start: str | None,
    end: str | None,
    summary: bool,
    as_json: bool,
    csv_file: str | None,
    xlsx_file: str | None,
    force: bool,
) -> None:
    """Legal review: findings and score of one case, or of all (--csv/--xlsx: the findings).
    It only reads: findings are recorded when cases change."""
    from casebook.export import findings_sheet

    notebook = open_notebook(ctx)
    if summary:
        figures = notebook.finding_summary(start, end)
        if as_json:
            emit_json(figures)
            return
        click.echo(
            _(
                "Found {found}, rectified {rectified} (by a data change {by_data}, rectified and"
                " closed {closed}), open {open}, rectification rate {rate:.2%}"
            ).format(
                found=figures["found"],
                rectified=figures["rectified"],
                by_data=figures["rectified_by_data"],
                closed=figures["rectified_and_closed"],
                open=figures["open"],
                rate=figures["rectification_rate"],
            )
        )
        return
    results = notebook.review(case_id, at, start=start, end=end)
    if export_tables(
        lambda: findings_sheet(notebook, results), csv_file, xlsx_file, force, as_json
    ):
        return
    if as_json:
        emit_json(results[0] if case_id else results)
        return
    for result in results:
        click.echo(f"{result.case_id}  {result.score}")
        for finding in result.findings:
            if finding.ended_by == "rectify":
                mark = _(" (rectified and closed by {officer} at {at})")
            elif finding.ended_by == "data":
                mark = _(" (rectified by a data change by {officer} at {at})")
            else:
                mark = ""
            mark = mark.format(
                officer=officer_label(notebook, finding.rectified_by), at=finding.rectified_at
            )
            click.echo(
                f"    {finding.id} [{finding.rule}/{finding.severity}] {finding.message}{mark}"
            )
    warnings = review_warnings(results)
    for warning in warnings:
        click.echo(_("Warning: {warning}").format(warning=warning), err=True)


def review_warnings(results: list[Any]) -> list[str]:
    """Each warning of a review once, with the cases it concerns when not all of them."""
    cases_by_warning: dict[str, list[str]] = {}
    for result in results:
        for warning in result.warnings:
            cases_by_warning.setdefault(warning, []).append(result.case_id)
    return [
        warning
        if len(cases) == len(results)
        else warning + " " + _("(cases: {cases})").format(cases=", ".join(cases))
        for warning, cases in cases_by_warning.items()
    ]


@cli.group()
def finding() -> None:
    """Rectify review findings (整改/销号)."""


@finding.command("rectify")
@click.argument("finding_ids", nargs=-1, required=True)
@click.option("--note", required=True)
@click.pass_context
def finding_rectify(ctx: click.Context, finding_ids: tuple[str, ...], note: str) -> None:
    """Mark findings rectified and closed (整改/销号), each with the note."""
    open_notebook(ctx).rectify_findings(list(finding_ids), note)


# -- reports, documents, settings ----------------------------------------------------------


@cli.command()
@click.argument("name", required=False)
@click.option("--from", "start", help="Start date.")
@click.option("--to", "end", help="End date (inclusive).")
@click.option("--pdf", "pdf_file", type=click.Path(dir_okay=False), help="Write a PDF.")
@json_option
@export_options
@click.pass_context
def report(
    ctx: click.Context,
    name: str | None,
    start,
    end,
    pdf_file,
    as_json: bool,
    csv_file: str | None,
    xlsx_file: str | None,
    force: bool,
) -> None:
    """Build a report (without NAME: list them)."""
    from casebook.export import report_sheets

    notebook = open_notebook(ctx)
    if not name and (csv_file or xlsx_file):
        raise click.UsageError(_("Name the report to write to a spreadsheet."))
    if name and (csv_file or xlsx_file):
        if pdf_file:
            raise click.UsageError(_("Choose --pdf or a spreadsheet (--csv, --xlsx), not both."))
        built = notebook.build_report(name, start, end)
        export_tables(lambda: report_sheets(notebook, built), csv_file, xlsx_file, force, as_json)
        return
    if not name:
        specs = notebook.reports()
        if as_json:
            emit_json([{"name": s.name, "title": s.title, "plugin": s.plugin} for s in specs])
        for spec in specs if not as_json else []:
            click.echo(f"{spec.name:<16} {spec.title}")
        return
    if as_json and pdf_file:
        raise click.UsageError(_("Choose --json or --pdf, not both."))
    built = notebook.build_report(name, start, end)
    if pdf_file:
        click.echo(str(notebook.report_pdf(built, pdf_file, overwrite=force)))
    elif as_json:
        emit_json(built)
    else:
        # Labelled as the GUI and the PDF show it; --json keeps the codes and numbers.
        for line in notebook.report_view(built).lines():
            click.echo(line)
    for warning in built.warnings if not as_json else []:
        click.echo(_("Warning: {warning}").format(warning=warning), err=True)


@cli.command()
@click.argument("name")
@click.argument("case_id")
@click.option(
    "--pdf",
    "pdf_file",
    type=click.Path(dir_okay=False),
    help="The PDF to write (default: NAME-CASE_ID.pdf in the current folder).",
)
@force_option
@click.pass_context
def document(
    ctx: click.Context, name: str, case_id: str, pdf_file: str | None, force: bool
) -> None:
    """Print a document of a case to PDF (receipt, notice, ledger...); prints the path."""
    target = pdf_file or f"{name}-{case_id}.pdf"
    click.echo(str(open_notebook(ctx).render_document(name, case_id, target, overwrite=force)))


@cli.group()
def settings() -> None:
    """Station settings declared by plugins (recorded in the log and synced)."""


@settings.command("list")
@json_option
@click.pass_context
def settings_list(ctx: click.Context, as_json: bool) -> None:
    notebook = open_notebook(ctx)
    values = [
        {
            "key": s.key,
            "title": s.title,
            "plugin": s.plugin,
            "value": notebook.setting(s.key),
            "default": s.default,
        }
        for s in notebook.setting_specs()
    ]
    if as_json:
        emit_json(values)
        return
    for item in values:
        click.echo(
            f"{item['key']} = {json.dumps(item['value'], ensure_ascii=False)}   ({item['title']})"
        )


@settings.command("set")
@click.argument("key")
@click.option("--value", help="The new value, as JSON (else --file or stdin).")
@json_file_option
@click.pass_context
def settings_set(ctx: click.Context, key: str, value: str | None, file: str | None) -> None:
    """Set a station setting to a JSON value."""
    open_notebook(ctx).set_setting(key, json_value_input(value, file))


# -- plugins -------------------------------------------------------------------------------


@cli.group()
def plugins() -> None:
    """List, install, enable and disable plugins."""


@plugins.command("list")
@json_option
@click.pass_context
def plugins_list(ctx: click.Context, as_json: bool) -> None:
    found = open_notebook(ctx).plugins()
    if as_json:
        emit_json(found)
        return
    trust_labels = {
        "built-in": _("built-in"),
        "package": _("package"),
        "signed": _("signed"),
        "unsigned": _("unsigned"),
    }
    for info in found:
        state = (
            _("enabled")
            if info.enabled and not info.refused
            else (_("refused") if info.refused else _("disabled"))
        )
        trust = trust_labels.get(info.trust, info.trust)
        click.echo(
            f"{info.title} ({info.name})  {info.version}  {trust}  {state}  {info.publisher}"
        )
        for error in info.errors:
            click.echo(f"    ! {error}")
        for refusal in info.refusals:
            click.echo("    " + _("refused result: {refusal}").format(refusal=refusal))
        for slow in info.slow_hooks:
            click.echo(
                "    "
                + _("slow hook: {hook} took {ms} ms (budget {budget} ms)").format(
                    hook=slow["hook"], ms=slow["ms"], budget=slow["budget_ms"]
                )
            )


@plugins.command("install")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--allow-unsigned", is_flag=True, help="Install without a trusted signature (marked unsigned)."
)
@click.pass_context
def plugins_install(ctx: click.Context, file: str, allow_unsigned: bool) -> None:
    """Install a plugin file, verified against FILE.sig and the trusted publishers."""
    info = open_notebook(ctx).install_plugin(file, allow_unsigned=allow_unsigned)
    click.echo(
        _("Installed {name} {version} ({trust}).").format(
            name=info.name, version=info.version, trust=info.trust
        )
    )


@plugins.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    default=".",
    type=click.Path(file_okay=False),
    help="Where to create the NAME folder (default: here).",
)
@click.option("--publisher", default="", help="The publisher named in the plugin's metadata.")
@click.pass_context
def plugins_new(ctx: click.Context, name: str, folder: str, publisher: str) -> None:
    """Write a working review-rule plugin NAME/NAME.py and its test NAME/test_NAME.py."""
    from casebook import scaffold

    for path in scaffold.new_plugin(name, folder, publisher or name):
        click.echo(str(path))


@plugins.command("try")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--at", "at", help="Date or datetime to evaluate (default: now).")
@json_option
@click.pass_context
def plugins_try(ctx: click.Context, file: str, at: str | None, as_json: bool) -> None:
    """Run FILE's review rules against the notebook, read-only: prints what they would find.

    Nothing is installed or recorded; FILE need not be signed.
    """
    results = open_notebook(ctx).try_plugin(file, at)
    found = [result for result in results if result.findings]
    if as_json:
        emit_json(results)
    else:
        for result in found:
            click.echo(f"{result.case_id}  {result.score}")
            for finding in result.findings:
                click.echo(
                    f"    [{finding.rule}/{finding.severity}] -{finding.points} {finding.message}"
                )
        click.echo(
            _(
                "{findings} findings in {cases} of {total} cases. Nothing was installed or"
                " recorded."
            ).format(
                findings=sum(len(result.findings) for result in found),
                cases=len(found),
                total=len(results),
            )
        )
    for warning in review_warnings(results):
        click.echo(_("Warning: {warning}").format(warning=warning), err=True)


@plugins.command("enable")
@click.argument("name")
@click.pass_context
def plugins_enable(ctx: click.Context, name: str) -> None:
    open_notebook(ctx, load_plugins=False).enable_plugin(name)


@plugins.command("disable")
@click.argument("name")
@click.pass_context
def plugins_disable(ctx: click.Context, name: str) -> None:
    """Disable a plugin (it is not even imported any more); works without loading plugins."""
    open_notebook(ctx, load_plugins=False).disable_plugin(name)


@plugins.command("trust")
@click.argument("name")
@click.argument("public_key")
@click.pass_context
def plugins_trust(ctx: click.Context, name: str, public_key: str) -> None:
    """Trust a publisher's Ed25519 public key (base64)."""
    open_notebook(ctx).trust_publisher(name, public_key)
    click.echo(
        _(
            "Trusted publisher {name} (key {key}): plugins it signs under this name can be"
            " installed."
        ).format(name=name.strip(), key=public_key.strip())
    )


@plugins.command("keygen")
@click.argument("key_file", type=click.Path(dir_okay=False))
def plugins_keygen(key_file: str) -> None:
    """Create a publisher signing key (PEM, encrypted with CASEBOOK_PUBLISHER_PASSPHRASE); prints the public key."""
    from casebook import publishing

    click.echo(
        publishing.generate_key(
            Path(key_file), passphrase(env="CASEBOOK_PUBLISHER_PASSPHRASE", confirm=True)
        )
    )


@plugins.command("sign")
@click.argument("plugin_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--publisher", required=True)
def plugins_sign(plugin_file: str, key_file: str, publisher: str) -> None:
    """Sign a plugin file (writes PLUGIN_FILE.sig)."""
    from casebook import publishing

    click.echo(
        str(
            publishing.sign_plugin(
                Path(plugin_file),
                Path(key_file),
                publisher,
                passphrase(env="CASEBOOK_PUBLISHER_PASSPHRASE"),
            )
        )
    )


# -- audit, rebuild, alarms ----------------------------------------------------------------


@cli.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command("verify")
@json_option
@click.pass_context
def audit_verify(ctx: click.Context, as_json: bool) -> None:
    """Walk every device's hash chain (exit 4 on a break)."""
    result = open_notebook(ctx).verify_audit()
    if as_json:
        emit_json(result)
    else:
        click.echo(_("Audit chain intact: {ops} ops from {devices} devices.").format(**result))


@cli.command()
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Recompute every view from the op log."""
    result = open_notebook(ctx).rebuild()
    click.echo(_("Rebuilt from {ops} ops.").format(**result))


@cli.command()
@json_option
@click.pass_context
def alarms(ctx: click.Context, as_json: bool) -> None:
    """Alarms kept in the notebook (rejected segments, ...)."""
    found = open_notebook(ctx).alarms()
    if as_json:
        emit_json(found)
        return
    for alarm in found:
        click.echo(f"{alarm.id} {alarm.at} [{alarm.kind}] {alarm.message}")


_plugin_commands_registered = False


def _register_sync_commands() -> None:
    """``sync`` and ``station``: ours, registered at every start."""
    try:
        from casebook.sync import commands as sync_commands
    except ImportError:
        return
    if hasattr(sync_commands, "register"):
        sync_commands.register(cli)


def _register_plugin_commands() -> bool:
    """Plugins' commands (``register_commands``), once; True the first time."""
    global _plugin_commands_registered
    if _plugin_commands_registered:
        return False
    _plugin_commands_registered = True
    from casebook.plugin_host import PluginHost

    host = PluginHost()
    host.load(set(), [], {})
    host.call("register_commands", cli=cli)
    return True


def _register_extensions() -> None:
    """Commands from sync and from plugins' ``register_commands``."""
    _register_sync_commands()
    _register_plugin_commands()


def _check_arguments(argv: list[str]) -> None:
    """Refuse arguments that are not UTF-8 text before any command sees them (the system
    decodes invalid bytes to lone surrogates, which nothing can store or print)."""
    for number, argument in enumerate(argv, start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidInputError(
                _("Argument {n} on the command line is not valid UTF-8 text.").format(n=number)
            ) from error


def _fail(message: str, exit_code: int) -> None:
    """One line on stderr, in the user's language, then the exit code of the contract."""
    one_line = " ".join(str(message).split())
    click.echo(_("Error: {message}").format(message=one_line), err=True)
    sys.exit(exit_code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the command and maps errors to the exit codes of the contract.

    Every failure is one line on stderr: never a traceback, whatever the input. The log in
    the notebook folder keeps the details of an unexpected one.
    """
    # Logging is the notebook's log file, once opened; never the terminal.
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _check_arguments(args)
        _register_sync_commands()
        cli.main(args=args, prog_name="casebook", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        hint = ""
        if error.ctx is not None:
            hint = " " + _("(see: {command} --help)").format(command=error.ctx.command_path)
        _fail(error.format_message() + hint, error.exit_code)
    except click.ClickException as error:
        _fail(error.format_message(), error.exit_code)
    except click.exceptions.Abort:
        click.echo(_("Aborted."), err=True)
        sys.exit(1)
    except CasebookError as error:
        if "--json" in (sys.argv[1:] if argv is None else argv):
            # Scripts get the refusal as codes: each problem's field, kind and allowed codes.
            emit_json(
                {
                    "error": str(error),
                    "exit_code": error.exit_code,
                    "problems": [problem.to_dict() for problem in getattr(error, "problems", [])],
                }
            )
        _fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except RecursionError as error:
        log.error("too deeply nested input (%s)", type(error).__name__)
        _fail(_("The input is nested too deeply."), 1)
    except Exception as error:  # never a traceback on the user's screen
        meaning = store.fault(error)
        if meaning is not None:
            log.warning("%s: %s", type(error).__name__, type(meaning).__name__)
            _fail(str(meaning), meaning.exit_code)
        log.exception("unexpected %s", type(error).__name__)
        _fail(
            _("Unexpected error ({kind}); see the log in the notebook folder.").format(
                kind=type(error).__name__
            ),
            1,
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
