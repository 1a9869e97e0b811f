"""The generated reference and diagrams: current, complete, and sensitive to every declaration."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import docgen
import pytest

from warp_models import TABLES, SipTrunk
from warp_models._columns import Varchar
from warp_models._domains import DOMAINS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return docgen.generate()


def test_committed_reference_is_current(files: dict[str, str]) -> None:
    stale = docgen.stale_files(ROOT, files)
    assert stale == [], f"run `python tools/docgen.py`: stale {stale}"
    assert docgen.main(["--check", "--root", str(ROOT)]) == 0


def test_generation_is_deterministic(files: dict[str, str]) -> None:
    assert docgen.generate() == files


def test_index_lists_all_29_tables(files: dict[str, str]) -> None:
    index = files["docs/reference/index.md"]
    assert len(TABLES) == 29
    for name, row in TABLES.items():
        page = row.__module__.rsplit(".", 1)[-1] + ".md"
        assert f"[`{name}`]({page}#{name})" in index
        assert re.search(rf"^## {name}$", files[f"docs/reference/{page}"], re.MULTILINE), name


def test_one_page_and_two_diagrams_per_domain(files: dict[str, str]) -> None:
    for module in DOMAINS:
        domain = module.__name__.rsplit(".", 1)[-1]
        assert f"docs/reference/{domain}.md" in files
        assert files[f"docs/diagrams/{domain}.mmd"].startswith("erDiagram\n")
        page = files[f"docs/reference/{domain}.md"]
        assert f"](../diagrams/{domain}.svg)](../diagrams/{domain}.svg)" in page, "the picture, linked to full size"
        assert "```mermaid" not in page, "no diagram needs a script (or the network) to show"
        ET.fromstring(files[f"docs/diagrams/{domain}.svg"])  # well-formed
    ET.fromstring(files["docs/diagrams/schema.svg"])


def test_every_column_and_foreign_key_is_documented(files: dict[str, str]) -> None:
    schema = files["docs/diagrams/schema.mmd"]
    for row in TABLES.values():
        page = files[f"docs/reference/{row.__module__.rsplit('.', 1)[-1]}.md"]
        section = page.split(f"\n## {row.__table_spec__.name}\n", 1)[1].split("\n## ", 1)[0]
        for column in row.__columns__:
            line = next(line for line in section.splitlines() if line.startswith(f"| `{column.name}` | "))
            assert f"`{column.sql_type.describe()}`" in line
            if column.col.doc:
                assert column.col.doc.replace("``", "`") in line
            if column.col.secret:
                assert "**secret**" in line
            if column.col.references:
                parent = column.col.references.split(".")[0]
                assert re.search(rf"^    {parent} \S+ {row.__table_spec__.name} : \"{column.name}\"$", schema, re.M)


def test_partitioned_keys_are_shown_as_stored(files: dict[str, str]) -> None:
    cdrs = files["docs/reference/cdrs.md"]
    assert "Primary key `cdrs_pkey` `(id, start_time)`: declared `(id)`" in cdrs
    assert "Unique `cdrs_call_id_start_time_key` `(call_id, start_time)`: declared `(call_id)`" in cdrs


def test_typed_json_documents_have_field_tables(files: dict[str, str]) -> None:
    where = {
        "TimeCondition": "routing",
        "TransformRules": "routing",
        "LineItem": "billing",
        "BillingAddress": "billing",
        "OrgFeatures": "organizations",
        "RateLimits": "organizations",
    }
    for document, domain in where.items():
        page = files[f"docs/reference/{domain}.md"]
        assert f"### {document}\n" in page
        assert "| Field | Type | Required | Default | Constraints |" in page.split(f"### {document}\n", 1)[1]


def test_literal_types_list_their_values(files: dict[str, str]) -> None:
    trunks = files["docs/reference/trunks.md"]
    status = next(line for line in trunks.splitlines() if line.startswith("| `status` | `VARCHAR(50)` | `TrunkStatus`"))
    assert "one of `active`, `inactive`, `suspended`" in status
    assert "| `codecs` | `JSONB` | `list[Codec]` |" in trunks


def test_repositories_are_named_when_the_layer_imports(files: dict[str, str]) -> None:
    repos = docgen._load_repos()
    if repos is None:
        pytest.skip("warp_repo.repos does not import here")
    assert "docs/reference/repositories.md" in files
    assert "`TrunkRepo`" in files["docs/reference/trunks.md"]
    for name, repo in repos.sync.items():
        assert f"`{repo.__name__}`" in files["docs/reference/repositories.md"], name


def test_redis_key_patterns_when_the_cache_layer_exists(files: dict[str, str]) -> None:
    keys = docgen._load_key_patterns()
    if keys is None:
        pytest.skip("warp_repo.cache does not exist yet (or exposes no key patterns)")
    page = files["docs/reference/redis.md"]
    assert len(keys) >= 10
    assert sum(1 for key in keys if key.kind) >= 10, "the seed's ten patterns, each with its Redis type"
    for key in keys:
        assert f"`{key.pattern}`" in page


def _column_changed(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    columns = tuple(
        dataclasses.replace(c, col=dataclasses.replace(c.col, **changes)) if c.name == "name" else c  # type: ignore[arg-type]
        for c in SipTrunk.__columns__
    )
    monkeypatch.setattr(SipTrunk, "__columns__", columns)


def test_a_changed_column_doc_makes_the_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    _column_changed(monkeypatch, doc="Something else entirely.")
    assert docgen.stale_files(ROOT, docgen.generate()) == ["docs/reference/trunks.md"]


def test_a_changed_column_length_makes_the_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    _column_changed(monkeypatch, type=Varchar(100))
    stale = docgen.stale_files(ROOT, docgen.generate())
    assert "docs/reference/trunks.md" in stale
    assert "docs/diagrams/trunks.svg" in stale
    assert "docs/diagrams/trunks.mmd" in stale
    assert "docs/diagrams/schema.svg" in stale  # name is part of a unique key, so the overview shows it


def test_check_names_missing_and_leftover_files(
    tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert docgen.main(["--check", "--root", str(tmp_path)]) == 1
    assert "docs/reference/index.md" in capsys.readouterr().err
    docgen.write_files(tmp_path, files)
    leftover = tmp_path / "docs/reference/old-table.md"
    leftover.write_text("# gone\n", encoding="utf-8")
    assert docgen.stale_files(tmp_path, files) == ["docs/reference/old-table.md"]
    assert docgen.main(["--root", str(tmp_path)]) == 0
    assert not leftover.exists()
    assert docgen.main(["--check", "--root", str(tmp_path)]) == 0


def test_the_cli_reference_is_the_help_of_every_command(files: dict[str, str]) -> None:
    from warp_repo.cli import EXAMPLES

    page = files["docs/reference/cli.md"]
    for command in EXAMPLES:
        section = page.split(f"\n## warp-db {command}\n", 1)[1].split("\n## ", 1)[0]
        help_text = section.split("```text\n", 1)[1].split("\n```", 1)[0]
        assert help_text.startswith(f"usage: warp-db {command}"), command
        assert "example:" in help_text and "``" not in help_text, command
    assert "\n### warp-db partitions prune\n" in page
