"""``fabnet runs list|show|compare|export|delete`` — the runs kept in the run store.

Every command takes ``--home PATH`` (else ``$FABNET_HOME``, else ``./.fabnet``) and ``--json``.
A run id may be shortened to any unique prefix (as in git), or given as ``latest``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from fabnet.cli._common import console, err_console, fail, print_json
from fabnet.errors import FabnetError, UsageError
from fabnet.store import EXPORT_FORMATS, RunRecord, RunStore, parse_formats

__all__ = ["app", "register"]

app = typer.Typer(help="List, show, compare, export and delete stored runs.", no_args_is_help=True)

HOME_OPT = typer.Option(
    None,
    "--home",
    help="Run store folder (default: $FABNET_HOME, else ./.fabnet).",
    show_default=False,
)
JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")
ID_ARG = typer.Argument(
    ..., help="Run id, a unique prefix of it, 'latest' or 'latest~N'.", show_default=False
)

_STATUS_STYLE = {"done": "green", "failed": "bold red", "running": "yellow"}
_LIST_FIGURES = 3  # key-figure columns shown by `runs list` (all of them with --json)


def _store(home: Path | None) -> RunStore:
    return RunStore(home)


def _status(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _figure(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    number = float(value)
    if abs(number) >= 1e6:
        for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
            if abs(number) >= scale:
                return f"{number / scale:,.2f} {suffix}"
    if number == int(number):
        return f"{number:,.0f}"
    return f"{number:,.4g}" if abs(number) < 1000 else f"{number:,.0f}"


def _when(value: Any) -> str:
    try:
        return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None and value == value else "–"
    except (AttributeError, ValueError):
        return "–"


def _duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {int(secs)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


@app.command("list")
def list_runs(
    kind: str | None = typer.Option(
        None, "--kind", help="Only runs of this kind (plan, risk, fab)."
    ),
    status: str | None = typer.Option(None, "--status", help="Only runs with this status."),
    limit: int = typer.Option(20, "--limit", min=1, help="At most this many runs, newest first."),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """List the stored runs, newest first, with their key figures."""
    try:
        frame = _store(home).list_runs(kind=kind, limit=limit, status=status)
    except FabnetError as error:
        fail(error, as_json)
        return
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        console.print("No runs stored yet." + (f" (kind {kind})" if kind else ""))
        return
    fixed = ["id", "kind", "scenario", "status", "started", "ended", "seed", "progress"]
    figures = []
    room = console.width - 100  # what the fixed columns leave for key figures
    for column in [c for c in frame.columns if c not in fixed][:_LIST_FIGURES]:
        room -= max(len(column), 8) + 3
        if room < 0:
            break
        figures.append(column)
    table = Table(title=f"Runs ({len(frame)})", title_justify="left", header_style="bold")
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("took", no_wrap=True, justify="right")
    table.add_column("seed", no_wrap=True, justify="right")
    table.add_column("scenario", overflow="ellipsis", min_width=8)
    for column in figures:
        table.add_column(column, justify="right", no_wrap=True)
    for row in frame.to_dict(orient="records"):
        ended = row["ended"]
        duration = (
            (ended - row["started"]).total_seconds()
            if ended is not None and ended == ended
            else None
        )
        status_text = _status(row["status"])
        if row["status"] == "running":
            status_text += f" {row['progress']:.0%}"
        seed = row["seed"]
        table.add_row(
            row["id"],
            row["kind"],
            status_text,
            _when(row["started"])[:16],
            _duration(duration),
            "–" if seed is None or seed != seed else str(seed),
            row["scenario"] or "–",
            *[_figure(row[c]) for c in figures],
        )
    console.print(table)


def _show_human(record: RunRecord, artefacts: list[tuple[str, int]]) -> None:
    console.print(f"[bold]Run {record.id}[/]  {_status(record.status)}")
    info = Table.grid(padding=(0, 2))
    info.add_column(style="dim")
    info.add_column()
    rows = [
        ("kind", record.kind),
        ("scenario", record.scenario_name or "–"),
        ("started (UTC)", _when(record.started)),
        ("ended (UTC)", _when(record.ended)),
        ("duration", _duration(record.duration_seconds)),
        ("seed", "–" if record.seed is None else str(record.seed)),
        ("progress", f"{record.progress:.0%} {record.progress_message}".strip()),
        ("fabnet", record.fabnet_version),
        ("process", f"pid {record.pid} on {record.host}"),
        ("folder", str(record.folder)),
    ]
    for key, value in rows:
        info.add_row(key, value)
    if record.error:
        info.add_row("error", f"[red]{record.error}[/]")
    console.print(info)
    if record.options:
        options = Table(title="Options", title_justify="left", header_style="bold")
        options.add_column("option")
        options.add_column("value")
        for key, value in record.options.items():
            options.add_row(str(key), str(value))
        console.print(options)
    if record.summary:
        figures = Table(title="Key figures", title_justify="left", header_style="bold")
        figures.add_column("metric")
        figures.add_column("value", justify="right")
        for metric, figure in record.summary.items():
            figures.add_row(metric, _figure(figure))
        console.print(figures)
    if artefacts:
        files = Table(title="Artefacts", title_justify="left", header_style="bold")
        files.add_column("file")
        files.add_column("bytes", justify="right")
        for name, size in artefacts:
            files.add_row(name, f"{size:,}")
        console.print(files)


@app.command("show")
def show(run_id: str = ID_ARG, home: Path | None = HOME_OPT, as_json: bool = JSON_OPT) -> None:
    """Show one run: inputs, status, key figures and the files it wrote."""
    try:
        store = _store(home)
        record = store.get(run_id)
        artefacts = [
            (name, (record.folder / name).stat().st_size if (record.folder / name).exists() else 0)
            for name in store.artefacts(record.id)
        ]
        tables = store.tables(record.id)
    except FabnetError as error:
        fail(error, as_json)
        return
    if as_json:
        data = record.to_dict()
        data["tables"] = tables
        data["artefacts"] = [{"file": n, "bytes": b} for n, b in artefacts]
        print_json(data)
        return
    _show_human(record, artefacts)


@app.command("compare")
def compare(
    a: str = typer.Argument(..., help="First run (id or unique prefix).", show_default=False),
    b: str = typer.Argument(..., help="Second run (id or unique prefix).", show_default=False),
    html: Path | None = typer.Option(
        None, "--html", help="Also write the comparison as a self-contained HTML page here."
    ),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Put the key figures of two runs side by side (difference = b − a, ratio = b ÷ a)."""
    try:
        store = _store(home)
        frame = store.compare(a, b)
        if html is not None:
            from fabnet.report import runs_compare_report
            from fabnet.store import atomic_write_text

            page = runs_compare_report([store.get(frame.attrs["a"]), store.get(frame.attrs["b"])])
            try:
                atomic_write_text(html, page)
            except OSError as exc:
                raise UsageError(f"cannot write {html}: {exc.strerror or exc}") from exc
            if not as_json:
                err_console.print(f"comparison written to {html}", highlight=False)
    except FabnetError as error:
        fail(error, as_json)
        return
    if as_json:
        print_json({"a": frame.attrs["a"], "b": frame.attrs["b"], "metrics": frame})
        return
    table = Table(
        title=f"a = {frame.attrs['a']}   b = {frame.attrs['b']}",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("metric")
    for column in ("a", "b", "difference"):
        table.add_column(column, justify="right")
    table.add_column("ratio b/a", justify="right")
    for row in frame.to_dict(orient="records"):
        ratio = row["ratio"]
        table.add_row(
            row["metric"],
            _figure(row["a"]),
            _figure(row["b"]),
            _figure(row["difference"]),
            "–" if ratio != ratio else f"{ratio:.3f}",
        )
    console.print(table if len(frame) else "The two runs have no key figures.")


@app.command("export")
def export(
    run_id: str = ID_ARG,
    to: Path | None = typer.Option(
        None, "--to", help="Destination folder (default: ./<run id>).", show_default=False
    ),
    formats: str = typer.Option(
        ",".join(EXPORT_FORMATS), "--format", help="Comma-separated: csv, parquet, xlsx."
    ),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Export a run's tables (and key figures) as CSV, Parquet and/or one Excel workbook."""
    try:
        chosen = parse_formats(formats)
        store = _store(home)
        record = store.get(run_id)
        dest = to if to is not None else Path.cwd() / record.id
        if as_json:
            files = store.export(record.id, dest, chosen)
        else:
            with err_console.status(f"exporting run {record.id} …"):
                files = store.export(record.id, dest, chosen)
    except FabnetError as error:
        fail(error, as_json)
        return
    if as_json:
        print_json({"id": record.id, "folder": dest, "files": files})
        return
    console.print(f"Exported run {record.id} to {dest}:")
    for file in files:
        console.print(f"  {file.name}", highlight=False)


@app.command("delete")
def delete(
    run_id: str = ID_ARG,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    force: bool = typer.Option(False, "--force", help="Delete even a run that is still running."),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Delete a run: its row and its folder with every table and artefact."""
    try:
        store = _store(home)
        record = store.get(run_id)
        if not yes:
            if as_json:
                raise UsageError("with --json, confirm the deletion with --yes")
            if not typer.confirm(
                f"Delete run {record.id} ({record.kind}, {record.scenario_name or 'no scenario'}, "
                f"{record.status})?",
                default=False,
            ):
                console.print("Nothing deleted.")
                raise typer.Exit(1)
        deleted = store.delete(record.id, force=force)
    except FabnetError as error:
        fail(error, as_json)
        return
    if as_json:
        print_json({"deleted": deleted})
        return
    console.print(f"Deleted run {deleted}.")


def register(root: typer.Typer) -> None:
    """Attach ``fabnet runs``."""
    root.add_typer(app, name="runs")
