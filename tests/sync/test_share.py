"""The share: names, write-once publishing, staging, and refusing a missing share."""

from __future__ import annotations

import os

import pytest
from casebook.sync.share import (
    ShareExistsError,
    ShareUnavailableError,
    StationShare,
    parse_segment_name,
    segment_name,
)

from casebook.errors import InvalidInputError


def test_segment_names_sort_by_seq():
    names = [segment_name(seq) for seq in (1, 2, 15, 16, 255, 4096, 2**40)]
    assert names == sorted(names)
    assert all(
        parse_segment_name(name) == seq
        for name, seq in zip(names, (1, 2, 15, 16, 255, 4096, 2**40), strict=False)
    )
    assert parse_segment_name("0000000000000001.seg.tmp") is None
    assert parse_segment_name(".syncthing.0000000000000001.seg.tmp") is None


def test_device_ids_cannot_escape(tmp_path):
    share = StationShare(tmp_path)
    for bad in ("../x", "a/b", "", "A" * 10, ".hidden"):
        with pytest.raises(InvalidInputError):
            share.member_path(bad)


def test_publish_is_write_once(tmp_path):
    share = StationShare(tmp_path)
    share.create_layout()
    target = share.segment_path("ab" * 16, 1)
    assert share.publish(target, b"first", writer="ab" * 16) is True
    assert share.publish(target, b"first", writer="ab" * 16) is False  # a retry after a crash
    with pytest.raises(ShareExistsError):
        share.publish(target, b"other", writer="ab" * 16)
    assert target.read_bytes() == b"first"
    assert os.listdir(share.tmp_dir("ab" * 16)) == []


def test_publishing_never_brings_back_a_vanished_share(tmp_path):
    """A network folder unmounted in the middle of a pass stays missing: publishing does not
    recreate it (or its folders) as an empty local folder under the mount point."""
    share = StationShare(tmp_path / "share")
    share.create_layout()
    (tmp_path / "share").rename(tmp_path / "unmounted")
    with pytest.raises(ShareUnavailableError):
        share.publish(share.segment_path("ab" * 16, 1), b"ops", writer="ab" * 16)
    assert not (tmp_path / "share").exists()


def test_publish_copy_is_write_once(tmp_path):
    share = StationShare(tmp_path / "share")
    share.create_layout()
    source = tmp_path / "blob"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    target = share.blob_path("ef" * 16)
    assert share.publish_copy(target, source, writer="ab" * 16) is True
    assert share.publish_copy(target, source, writer="ab" * 16) is False
    assert target.read_bytes() == source.read_bytes()


def test_clear_staging_only_touches_own_folder(tmp_path):
    share = StationShare(tmp_path)
    share.create_layout()
    mine, theirs = share.tmp_dir("aa" * 16), share.tmp_dir("bb" * 16)
    mine.mkdir(parents=True)
    theirs.mkdir(parents=True)
    (mine / "1.tmp").write_bytes(b"x")
    (theirs / "2.tmp").write_bytes(b"x")
    assert share.clear_staging("aa" * 16) == 1
    assert (theirs / "2.tmp").exists()


def test_missing_empty_or_unmarked_share_is_refused(tmp_path):
    with pytest.raises(ShareUnavailableError, match="not reachable"):
        StationShare(tmp_path / "nowhere").check_available()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ShareUnavailableError, match="empty"):
        StationShare(tmp_path / "empty").check_available()
    share = StationShare(tmp_path / "unmarked")
    share.create_layout()
    with pytest.raises(ShareUnavailableError, match="marker"):
        share.check_available()
    assert ShareUnavailableError.exit_code == 1
