"""The ``casebook station ...`` and ``casebook sync`` commands (a thin layer over the engine).

``casebook.cli`` calls :func:`register` to add them to its group. Errors are
:mod:`casebook.errors` exceptions; their ``exit_code`` follows the CLI contract (1 refused,
3 not a member or revoked or wrong admin passphrase, 4 tampered share).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from casebook.errors import InvalidInputError
from casebook.i18n import _

from .engine import SyncEngine
from .keys import exchange_key, signing_key
from .membership import Station
from .share import StationShare

SHARE_PREFERENCE = "share_path"


def _open_notebook(ctx: click.Context) -> Any:
    from casebook.cli import open_notebook  # the CLI imports this module: import late

    return open_notebook(ctx)


def _emit_json(value: Any) -> None:
    try:
        from casebook.cli import emit_json
    except ImportError:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        emit_json(value)


def _admin_passphrase(*, confirm: bool = False) -> str:
    from casebook.cli import passphrase

    return passphrase(
        _("Station admin passphrase"), confirm=confirm, env="CASEBOOK_ADMIN_PASSPHRASE"
    )


def _share_root(notebook: Any, share: str | None) -> str:
    if share:
        return share
    remembered = notebook.preference(SHARE_PREFERENCE, None)
    if not remembered:
        raise InvalidInputError(_("Which station share? Give --share DIR."))
    return remembered


def _run(ctx: click.Context, action: Callable[[], None]) -> None:
    """Run a command body. Casebook errors propagate: ``casebook.cli.main`` maps them to the
    contract's exit codes, with the message on stderr."""
    action()


# --- station --------------------------------------------------------------------------------


@click.group("station")
def station_group() -> None:
    """Station membership on the shared folder: init, join, approve, revoke."""


share_option = click.option(
    "--share",
    "share",
    type=click.Path(file_okay=False),
    required=True,
    help="The station's shared folder.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@station_group.command("init")
@share_option
@json_option
@click.pass_context
def station_init(ctx: click.Context, share: str, as_json: bool) -> None:
    """Create a station on SHARE; this laptop becomes its first member."""

    def action() -> None:
        notebook = _open_notebook(ctx)
        passphrase = _admin_passphrase(confirm=True)
        station_share = StationShare(share)
        station, admin = Station.create(station_share, passphrase, writer=notebook.device_id)
        _enrol_self(notebook, station)
        station.approve(notebook.device_id, admin, writer=notebook.device_id)
        notebook.set_preference(SHARE_PREFERENCE, str(station_share.root.resolve()))
        result = {"station": station.station_id, "device": notebook.device_id, "epoch": 1}
        if as_json:
            _emit_json(result)
        else:
            click.echo(
                _("Station {station} created; this laptop ({device}) is its first member.").format(
                    **result
                )
            )

    _run(ctx, action)


@station_group.command("join")
@share_option
@json_option
@click.pass_context
def station_join(ctx: click.Context, share: str, as_json: bool) -> None:
    """Ask to join the station on SHARE. Prints this laptop's device id for the admin."""

    def action() -> None:
        notebook = _open_notebook(ctx)
        engine = SyncEngine(notebook, share)
        station = engine.station()
        _enrol_self(notebook, station)
        notebook.set_preference(SHARE_PREFERENCE, str(engine.share.root.resolve()))
        approved = station.member(notebook.device_id) is not None
        if as_json:
            _emit_json(
                {"device": notebook.device_id, "station": station.station_id, "approved": approved}
            )
            return
        click.echo(notebook.device_id)
        if approved:
            click.echo(_("This laptop is already a member of the station."), err=True)
        else:
            click.echo(
                _(
                    "Join request written. The station admin runs: casebook station approve {device}"
                ).format(device=notebook.device_id),
                err=True,
            )

    _run(ctx, action)


@station_group.command("approve")
@click.argument("device")
@share_option
@json_option
@click.pass_context
def station_approve(ctx: click.Context, device: str, share: str, as_json: bool) -> None:
    """Approve DEVICE's join request (needs the admin passphrase)."""

    def action() -> None:
        notebook = _open_notebook(ctx)
        station = SyncEngine(notebook, share).station()
        admin = station.unlock_admin(_admin_passphrase())
        member = station.approve(device, admin, writer=notebook.device_id)
        result = {
            "device": member.device,
            "officer": member.officer,
            "epochs": station.share.list_epochs(),
        }
        if as_json:
            _emit_json(result)
        else:
            click.echo(_("Device {device} approved.").format(device=member.device))

    _run(ctx, action)


@station_group.command("revoke")
@click.argument("device")
@share_option
@json_option
@click.pass_context
def station_revoke(ctx: click.Context, device: str, share: str, as_json: bool) -> None:
    """Revoke DEVICE (a lost laptop): signed cut-off and a new key epoch."""

    def action() -> None:
        notebook = _open_notebook(ctx)
        station = SyncEngine(notebook, share).station()
        admin = station.unlock_admin(_admin_passphrase())
        revocation = station.revoke(device, admin, writer=notebook.device_id)
        result = {
            "device": revocation.device,
            "last_seq": revocation.last_seq,
            "new_epoch": revocation.new_epoch,
        }
        if as_json:
            _emit_json(result)
        else:
            click.echo(
                _(
                    "Device {device} revoked after seq {last_seq}; new key epoch {new_epoch}."
                ).format(**result)
            )

    _run(ctx, action)


def _enrol_self(notebook: Any, station: Station) -> None:
    engine_state = notebook.sync_state("sync.station")
    if not engine_state:
        notebook.set_sync_state("sync.station", station.pin())
    station.request_join(
        notebook.device_id,
        signing_key(notebook.device_signing_key()),
        exchange_key(notebook.device_exchange_key()),
        dict(notebook.officer or {}),
    )


# --- sync -----------------------------------------------------------------------------------


@click.command("sync")
@click.option(
    "--share",
    "share",
    type=click.Path(file_okay=False),
    default=None,
    help="The station's shared folder (remembered after the first sync).",
)
@click.option(
    "--watch", is_flag=True, help="Keep syncing when the share changes, and every minute."
)
@click.option(
    "--interval",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between rescans with --watch.",
)
@json_option
@click.pass_context
def sync_command(
    ctx: click.Context, share: str | None, watch: bool, interval: float, as_json: bool
) -> None:
    """Publish this laptop's changes to the station share and apply everyone else's."""

    def show(result: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(result, sort_keys=True))
        else:
            click.echo(
                _(
                    "sent {sent}, received {received}, conflicts {conflicts}, rejected {rejected}, "
                    "waiting for keys {pending_keys}"
                ).format(**result)
            )
        alarms = [a for a in notebook.alarms() if not getattr(a, "acknowledged", False)]
        if result.get("rejected") and alarms and not as_json:
            click.echo(
                _("{count} alarm(s): see `casebook alarms`.").format(count=len(alarms)), err=True
            )

    def action() -> None:
        nonlocal notebook
        notebook = _open_notebook(ctx)
        engine = SyncEngine(notebook, _share_root(notebook, share))
        if not watch:
            result = engine.sync_once()
            notebook.set_preference(SHARE_PREFERENCE, str(engine.share.root.resolve()))
            show(result)
            return
        from .watch import SyncWatcher

        watcher = SyncWatcher(
            engine,
            interval=interval,
            on_result=show,
            on_error=lambda error: click.echo(str(error), err=True),
        )
        try:
            watcher.run()
        except KeyboardInterrupt:
            watcher.stop()

    notebook: Any = None
    _run(ctx, action)


def register(cli: click.Group) -> None:
    """Add ``station`` and ``sync`` to the ``casebook`` command group."""
    cli.add_command(station_group)
    cli.add_command(sync_command)
