"""``casebook plugins new NAME``: a working review-rule plugin to start from.

It writes ``NAME/NAME.py`` (metadata, one setting, one rule, labels in zh_CN and en) and
``NAME/test_NAME.py`` (the rule run against a temporary notebook). docs/plugin_tutorial.md
starts from these files.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from string import Template

from casebook.errors import InvalidInputError
from casebook.i18n import _
from casebook.plugin_admin import PLUGIN_NAME

TEMPLATES = {"plugin.py.txt": "{name}.py", "test_plugin.py.txt": "test_{name}.py"}


def new_plugin(name: str, folder: str | os.PathLike, publisher: str) -> list[Path]:
    """Write the plugin ``name`` into ``folder/name`` (created; it must not exist yet).

    :returns: the files written.
    :raises InvalidInputError: a name that is not a plugin name, or a folder in the way.
    """
    if not PLUGIN_NAME.match(name or ""):
        raise InvalidInputError(
            _("Plugin file names use lowercase letters, digits and '_': {name}").format(name=name)
        )
    if not publisher.strip():
        raise InvalidInputError(_("{field}: this field is required").format(field="publisher"))
    target = Path(folder) / name
    if target.exists():
        raise InvalidInputError(_("{path} already exists.").format(path=target))
    target.mkdir(parents=True)
    written = []
    templates = resources.files("casebook") / "scaffold_templates"
    for template, file_name in TEMPLATES.items():
        text = Template((templates / template).read_text("utf-8")).substitute(
            name=name, publisher=publisher.strip().replace('"', "'")
        )
        path = target / file_name.format(name=name)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
