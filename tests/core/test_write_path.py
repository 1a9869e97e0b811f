"""Models become driver values the way their JSON dump says, for every table: one compiled plan per shape.

Create and update models are made by the factories; stored rows are checked in ``test_read_path``.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from warp_models import TABLES, Create, Row, Update
from warp_models._time import to_db_timestamp
from warp_repo.testing import Factories

SEED = random.SystemRandom().randrange(2**32)


@pytest.fixture(autouse=True)
def seed_of_the_run() -> int:
    """The seed, printed so that any failure's report shows it (captured output): ``Factories(seed=...)`` replays it."""
    print(f"factories seed of this run: {SEED}")
    return SEED


def reference(model: BaseModel, row: type[Row], names: list[str]) -> dict[str, Any]:
    """What a column is sent as, spelled out: JSON documents as the model dumps them in JSON mode."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(model, name)
        if value is None:
            out[name] = None
        elif row.column(name).is_jsonb:
            out[name] = model.model_dump(mode="json", include={name})[name]
        elif isinstance(value, SecretStr):
            out[name] = value.get_secret_value()
        elif isinstance(value, datetime):
            out[name] = to_db_timestamp(value)
        else:
            out[name] = value
    return out


def same(expected: dict[str, Any], got: dict[str, Any], where: str) -> None:
    """Every failure names the run's seed: ``Factories(seed=...)`` makes the same rows again."""
    where = f"{where} (seed {SEED})"
    assert list(expected) == list(got), where
    for name, value in expected.items():
        assert type(got[name]) is type(value) and got[name] == value, f"{where}.{name}"


@pytest.mark.parametrize("table", list(TABLES))
def test_to_db_sends_what_the_json_dump_says(table: str) -> None:
    row = TABLES[table]
    factory = Factories(seed=SEED).for_table(table)
    for _ in range(50):
        create: Create = factory.build()
        given = [n for n in create.given() if getattr(create, n) is not None or row.column(n).nullable]
        same(reference(create, row, given), create.to_db(), f"{table} create")
        update = _update_of(row)
        patch = update.model_validate({n: getattr(create, n) for n in create.given() if n in update.model_fields})
        same(reference(patch, row, list(patch.given())), patch.to_db(), f"{table} update")


def _update_of(row: type[Row]) -> type[Update]:
    return next(cls for cls in Update.__subclasses__() if cls.__dict__.get("__row__") is row)
