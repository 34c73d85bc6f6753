"""Station and watcher commands that must refuse what would hurt (each a `casebook` process):
a watch interval that would spin, a second station on a laptop that belongs to one, and an
admin revoking the laptop it works on without saying so."""

from __future__ import annotations

import json

from .test_cli import laptops, run  # noqa: F401  (the fixture is used by name)


def test_watch_with_a_negative_or_zero_interval_is_refused(laptops, tmp_path):  # noqa: F811
    a = laptops["a"]
    share = tmp_path / "share"
    run(a, "station", "init", "--share", str(share))
    for interval in ("-5", "0", "nan"):
        result = run(a, "sync", "--watch", "--interval", interval, expect=1)
        assert "--interval" in result.stderr
        assert "greater than 0" in result.stderr
        assert "Traceback" not in result.stderr


def test_station_init_on_a_laptop_already_in_a_station_is_refused(laptops, tmp_path):  # noqa: F811
    a = laptops["a"]
    first, second = tmp_path / "share", tmp_path / "second"
    run(a, "station", "init", "--share", str(first))
    result = run(a, "station", "init", "--share", str(second), expect=1)
    assert "already belongs to station" in result.stderr
    assert not (second / "station.json").exists() and not any(second.glob("*"))
    status = json.loads(run(a, "sync", "status", "--json").stdout)
    assert status["share"] == str(first)  # the remembered share did not switch
    assert run(a, "sync", "--share", str(first), "--json").returncode == 0


def test_revoking_this_laptop_needs_an_explicit_confirmation(laptops, tmp_path):  # noqa: F811
    a = laptops["a"]
    share = tmp_path / "share"
    device = json.loads(run(a, "station", "init", "--share", str(share), "--json").stdout)["device"]
    result = run(a, "station", "revoke", device, "--share", str(share), expect=1)
    assert "this laptop" in result.stderr and "--this-laptop" in result.stderr
    assert not (share / "revoked" / f"{device}.json").exists()
    run(a, "sync", "--share", str(share))
    run(a, "station", "revoke", device, "--share", str(share), "--this-laptop")
    assert (share / "revoked" / f"{device}.json").exists()
