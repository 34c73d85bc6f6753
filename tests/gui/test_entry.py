"""``python -m casebook.gui`` starts the real app in its own process and stays up."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.gui


def test_module_entry_opens_the_wizard_and_stays_up(x_display, tmp_path):
    env = dict(os.environ, DISPLAY=x_display, CASEBOOK_LANG="zh_CN")
    process = subprocess.Popen(
        [sys.executable, "-m", "casebook.gui", "--notebook", str(tmp_path / "nb"), "--demo-if-new"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)
        assert process.poll() is None, process.communicate(timeout=5)
    finally:
        process.terminate()
        try:
            _out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, err = process.communicate()
    assert "Traceback" not in err, err
    assert not (tmp_path / "nb").exists(), "nothing is created before the wizard is filled in"
