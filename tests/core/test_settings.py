"""Station settings and laptop preferences (casebook.settings)."""

from __future__ import annotations

import pytest

from casebook import Notebook


def test_settings_are_shared_read_only_values(notebook: Notebook):
    import copy
    import json

    key = "callbacks.satisfaction"
    value = notebook.setting(key)
    assert notebook.setting(key) is value  # cached: no copy per read
    with pytest.raises(TypeError, match="read-only"):
        value["channels"] = []
    with pytest.raises(TypeError, match="read-only"):
        value["channels"].append("phone")
    plain = copy.deepcopy(value)
    plain["channels"].append("phone")
    assert type(plain) is dict and type(plain["channels"]) is list
    assert json.loads(json.dumps(value)) == notebook.setting(key)
    changed = {**value, "first_days": 5}
    notebook.set_setting(key, changed)
    assert notebook.setting(key)["first_days"] == 5
