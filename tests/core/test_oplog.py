"""The op format (casebook.oplog): ids and hashes."""

from __future__ import annotations


def test_ids_grow_with_time_and_stay_unique():
    from casebook.oplog import new_id

    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 and i[12] == "7" for i in ids)
    assert ids[0][:12] <= ids[-1][:12]  # the leading 48 bits are the time in milliseconds
