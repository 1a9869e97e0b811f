"""The three shapes of every table: create (server-filled fields optional), row (everything), partial update."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import warp_models
from warp_models import TABLES, Create, Row, Update

from .examples import REQUIRED

ROWS = list(TABLES.values())
IDS = [row.__table_spec__.name for row in ROWS]


def shapes(row: type[Row]) -> tuple[type[Create], type[Update]]:
    create = getattr(warp_models, f"{row.__name__}Create")
    update = getattr(warp_models, f"{row.__name__}Update")
    assert create.__row__ is row and update.__row__ is row
    return create, update


def required_columns(row: type[Row]) -> set[str]:
    return {c.name for c in row.__columns__ if not c.nullable and not c.has_server_default}


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_create_needs_exactly_the_columns_without_null_or_default(row: type[Row]) -> None:
    create, _ = shapes(row)
    payload = REQUIRED[row.__table_spec__.name]
    assert set(payload) == required_columns(row)
    made = create(**payload)
    assert set(made.to_db()) == set(payload)
    for missing in payload:
        partial = {k: v for k, v in payload.items() if k != missing}
        with pytest.raises(ValidationError, match=missing):
            create(**partial)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_create_applies_the_row_limits(row: type[Row]) -> None:
    create, _ = shapes(row)
    free_text = [c for c in row.__columns__ if c.python_type in (str, str | None) and hasattr(c.sql_type, "length")]
    if not free_text:
        pytest.skip("no free-text column")
    column = free_text[0]
    too_long = "x" * (column.sql_type.length + 1)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match=column.name):
        create(**{**REQUIRED[row.__table_spec__.name], column.name: too_long})


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_row_requires_every_column(row: type[Row]) -> None:
    with pytest.raises(ValidationError) as caught:
        row.model_validate(REQUIRED[row.__table_spec__.name])
    missing = {e["loc"][0] for e in caught.value.errors() if e["type"] == "missing"}
    assert missing == {c.name for c in row.__columns__} - set(REQUIRED[row.__table_spec__.name])


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_update_tells_not_given_from_null(row: type[Row]) -> None:
    _, update = shapes(row)
    assert update().to_db() == {}
    nullable = [c.name for c in row.__columns__ if c.nullable and c.name in update.model_fields]
    if nullable:
        cleared = update(**{nullable[0]: None})
        assert cleared.to_db() == {nullable[0]: None}
    not_null = [c.name for c in row.__columns__ if not c.nullable and c.name in update.model_fields]
    for name in not_null:
        with pytest.raises(ValidationError, match="cannot be set to NULL"):
            update(**{name: None})


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_update_never_changes_keys_or_creation_time(row: type[Row]) -> None:
    _, update = shapes(row)
    for name in (*row.primary_key(), "created_at"):
        if name == row.__table_spec__.partition_by:
            continue
        assert name not in update.model_fields
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            update(**{name: None})


def test_shapes_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        warp_models.SipTrunkCreate(**REQUIRED["sip_trunks"], colour="red")  # type: ignore[call-arg]


def test_create_leaves_out_what_was_not_given_and_sends_explicit_null() -> None:
    payload: dict[str, Any] = {**REQUIRED["sip_trunks"], "outbound_proxy": None}
    values = warp_models.SipTrunkCreate(**payload).to_db()
    assert values["outbound_proxy"] is None
    assert "status" not in values and "codecs" not in values and "id" not in values


def test_explicit_none_for_a_generated_key_means_let_the_database_choose() -> None:
    values = warp_models.OrganizationCreate(name="Acme", id=None).to_db()
    assert "id" not in values
