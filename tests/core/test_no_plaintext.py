"""No plaintext case content in any byte of the notebook folder."""

from __future__ import annotations

from pathlib import Path

from casebook import Notebook

SECRETS = [
    "欧阳娜娜失踪",
    "滨湖区梁溪路七十七号",
    "Zebrafinch Quixotic",
    "hunter2passphrase",
    "回访满意度调查记录",
    "DNA样本编号",
    "张三丰",
]
ENCODINGS = ["utf-8", "utf-16-le", "utf-16-be", "gbk"]


def needles() -> list[tuple[str, str, bytes]]:
    found = []
    for text in SECRETS:
        for encoding in ENCODINGS:
            found.append((text, encoding, text.encode(encoding)))
        found.append((text, "lower", text.lower().encode("utf-8")))
    return found


def scan(folder: Path) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for text, encoding, needle in needles():
                if needle in data:
                    hits.append(f"{path.name}: {text} ({encoding})")
    return hits


def test_nothing_readable_in_the_notebook_folder(notebook_dir: Path, tmp_path: Path):
    nb = Notebook.create(
        notebook_dir, "hunter2passphrase", officer_id="0001", officer_name="李明", unit="滨湖派出所"
    )
    case = nb.create_case(
        "incident",
        {
            "title": "欧阳娜娜失踪",
            "location": "滨湖区梁溪路七十七号",
            "summary": "Zebrafinch Quixotic",
        },
    )
    nb.add_entry(case.id, "note", "回访满意度调查记录")
    nb.add_entry(case.id, "action", "采集DNA样本编号")
    nb.update_case(case.id, {"summary": "张三丰 Zebrafinch Quixotic"})
    photo = tmp_path / "欧阳娜娜失踪.txt"
    photo.write_text("滨湖区梁溪路七十七号 Zebrafinch Quixotic " * 1000, encoding="utf-8")
    nb.attach(case.id, photo)
    nb.import_cases(
        [("incident", {"title": f"欧阳娜娜失踪 {i}", "summary": "张三丰"}) for i in range(300)]
    )
    assert nb.search("娜娜")
    # Checked while open (WAL and shared memory present) and after closing.
    assert scan(notebook_dir) == []
    nb.close()
    reopened = Notebook.open(notebook_dir, "hunter2passphrase")
    reopened.rebuild()
    reopened.change_passphrase("hunter2passphrase", "another one")
    reopened.close()
    assert scan(notebook_dir) == []
    assert {p.name for p in notebook_dir.iterdir()} <= {
        "notebook.json",
        "notebook.db",
        "notebook.db-wal",
        "notebook.db-shm",
        "attachments",
        "plugins",
        "logs",
    }
