"""The ``casebook station ...`` and ``casebook sync`` commands: thin wrappers over
:class:`casebook.sync.service.SyncService`.

``casebook.cli`` calls :func:`register` to add them to its group; like every command they use
the shared helpers of :mod:`casebook.commands` and never import the CLI. Errors are
:mod:`casebook.errors` exceptions; their ``exit_code`` follows the CLI contract (1 refused,
3 not a member or revoked or wrong admin passphrase, 4 tampered share).
"""

from __future__ import annotations

from typing import Any

import click

from casebook.commands import emit_json, json_option, open_notebook, passphrase
from casebook.i18n import _

from .service import SyncService, SyncStatus

ADMIN_PASSPHRASE_ENV = "CASEBOOK_ADMIN_PASSPHRASE"


def admin_passphrase(*, confirm: bool = False) -> str:
    return passphrase(_("Station admin passphrase"), confirm=confirm, env=ADMIN_PASSPHRASE_ENV)


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


@station_group.command("init")
@share_option
@json_option
@click.pass_context
def station_init(ctx: click.Context, share: str, as_json: bool) -> None:
    """Create a station on SHARE; this laptop becomes its first member."""
    service = SyncService(open_notebook(ctx), share)
    created = service.init_station(admin_passphrase(confirm=True))
    if as_json:
        emit_json(created)
        return
    click.echo(
        _("Station {station} created; this laptop ({device}) is its first member.").format(
            **created.to_dict()
        )
    )


@station_group.command("join")
@share_option
@json_option
@click.pass_context
def station_join(ctx: click.Context, share: str, as_json: bool) -> None:
    """Ask to join the station on SHARE. Prints this laptop's device id for the admin."""
    request = SyncService(open_notebook(ctx), share).join_station()
    if as_json:
        emit_json(request)
        return
    click.echo(request.device)
    if request.approved:
        click.echo(_("This laptop is already a member of the station."), err=True)
    else:
        click.echo(
            _(
                "Join request written. The station admin runs: casebook station approve {device}"
            ).format(device=request.device),
            err=True,
        )


@station_group.command("approve")
@click.argument("device")
@share_option
@json_option
@click.pass_context
def station_approve(ctx: click.Context, device: str, share: str, as_json: bool) -> None:
    """Approve DEVICE's join request (needs the admin passphrase)."""
    approval = SyncService(open_notebook(ctx), share).approve_device(device, admin_passphrase())
    if as_json:
        emit_json(approval)
    else:
        click.echo(_("Device {device} approved.").format(device=approval.device))


@station_group.command("revoke")
@click.argument("device")
@share_option
@click.option(
    "--this-laptop",
    "this_laptop",
    is_flag=True,
    help="Confirm revoking the device this command runs on (it can never sync again).",
)
@json_option
@click.pass_context
def station_revoke(
    ctx: click.Context, device: str, share: str, this_laptop: bool, as_json: bool
) -> None:
    """Revoke DEVICE (a lost laptop): signed cut-off and a new key epoch."""
    service = SyncService(open_notebook(ctx), share)
    if device == service.notebook.device_id and not this_laptop:
        # Refused before the admin passphrase is asked for.
        service.revoke_device(device, "", revoke_this_laptop=False)
    revocation = service.revoke_device(device, admin_passphrase(), revoke_this_laptop=this_laptop)
    if as_json:
        emit_json(revocation)
    else:
        click.echo(
            _("Device {device} revoked after seq {last_seq}; new key epoch {new_epoch}.").format(
                **revocation.to_dict()
            )
        )


# --- sync -----------------------------------------------------------------------------------


@click.group("sync", invoke_without_command=True)
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
@click.option(
    "--max-clock-skew",
    "max_clock_skew",
    type=float,
    default=None,
    help="Hours a received op may be stamped past this laptop's clock before it is held "
    "back (remembered; 24 by default).",
)
@json_option
@click.pass_context
def sync_command(
    ctx: click.Context,
    share: str | None,
    watch: bool,
    interval: float,
    max_clock_skew: float | None,
    as_json: bool,
) -> None:
    """Publish this laptop's changes to the station share and apply everyone else's.

    `casebook sync status` shows what is waiting and how the last sync went.
    """
    if ctx.invoked_subcommand is not None:
        return
    notebook = open_notebook(ctx)
    service = SyncService(notebook, share)
    if max_clock_skew is not None:
        service.set_max_clock_skew(max_clock_skew)

    def show(result: dict[str, Any]) -> None:
        if as_json:
            emit_json(result, one_line=True)  # one line per pass: --watch prints a stream
        else:
            click.echo(
                _(
                    "sent {sent}, received {received}, conflicts {conflicts}, rejected {rejected}, "
                    "waiting for keys {pending_keys}"
                ).format(**result)
            )
        if result.get("rejected") and not as_json:
            alarms = notebook.alarms()
            if alarms:
                click.echo(
                    _("{count} alarm(s): see `casebook alarms`.").format(count=len(alarms)),
                    err=True,
                )

    if not watch:
        show(service.sync_once())
        return
    watcher = service.watcher(
        interval=interval,
        on_result=show,
        on_error=lambda error: click.echo(str(error), err=True),
    )
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop()


@sync_command.command("status")
@json_option
@click.pass_context
def sync_status(ctx: click.Context, as_json: bool) -> None:
    """Ops waiting to be sent, the last sync, received ops waiting for a gap, and alarms."""
    status = SyncService(open_notebook(ctx), ctx.parent.params.get("share")).status()
    if as_json or ctx.parent.params.get("as_json"):
        emit_json(status)
        return
    for line in status_lines(status):
        click.echo(line)


def status_lines(status: SyncStatus) -> list[str]:
    last = status.last_sync
    if last is None:
        last_text = _("Last sync: never")
    elif last.ok:
        last_text = _("Last sync: {at}, ok (sent {sent}, received {received}).").format(
            at=last.at,
            sent=last.summary.get("sent", 0),
            received=last.summary.get("received", 0),
        )
    else:
        last_text = _("Last sync: {at}, failed: {error}").format(at=last.at, error=last.error)
    lines = [_("Share: {share}").format(share=status.share or "-"), last_text]
    if last is not None and not last.ok and last.succeeded_at:
        lines.append(_("Last successful sync: {at}").format(at=last.succeeded_at))
    return [
        *lines,
        _("Waiting to send: {count}").format(count=status.pending),
        _("Received, waiting for earlier ops: {count}").format(count=status.waiting),
        _("Alarms: {count}").format(count=status.alarms),
    ]


def register(cli: click.Group) -> None:
    """Add ``station`` and ``sync`` to the ``casebook`` command group."""
    cli.add_command(station_group)
    cli.add_command(sync_command)
