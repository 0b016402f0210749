"""scripts/check_readme_demo.py: the README's demo table is compared with what `make demo` wrote."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_readme_demo", ROOT / "scripts/check_readme_demo.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

TABLE = """| dataset | model | runs | WA | UA |
|---|---|---|---|---|
| demo | drkf | 2 | **77.10 ± 1.49** | 76.41 ± 3.01 |
| demo | tfn | 2 | 65.97 ± 1.19 | **76.50 ± 1.59** |
"""


def _readme(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"# x\n\n{check.START}\n```\n{table}```\n{check.END}\n\nmore\n")
    return path


def test_a_matching_table_passes_and_a_stale_one_fails(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("intro\n\n" + TABLE + "\nfooter\n")
    readme = _readme(tmp_path, TABLE)
    assert check.main(["--summary", str(summary), "--readme", str(readme)]) == 0
    stale = TABLE.replace("77.10", "75.84")
    readme = _readme(tmp_path, stale)
    assert check.main(["--summary", str(summary), "--readme", str(readme)]) == 1
    assert check.main(["--summary", str(summary), "--readme", str(readme), "--tolerance", "1.5"]) == 0
    moved_mark = TABLE.replace("**77.10 ± 1.49**", "77.10 ± 1.49")
    assert check.differences(check.table_lines(moved_mark), check.table_lines(TABLE), 5.0) != []
    assert check.main(["--summary", str(summary), "--readme", str(readme), "--write"]) == 0
    assert "77.10" in readme.read_text() and "75.84" not in readme.read_text() and readme.read_text().endswith("more\n")


def test_the_readme_has_the_demo_table_between_its_markers() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = check.readme_block(readme, "README.md")
    rows = check.table_lines(readme[start:end])
    assert rows[0].startswith("| dataset | model") and len(rows) >= 3
