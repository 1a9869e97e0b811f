"""The SQLAlchemy metadata is derived from the declarations: a schema built from it matches the models."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa

from warp_models import TABLES, metadata, table_of
from warp_repo.migrations._drift import check_drift


def test_every_table_and_column_is_in_the_metadata() -> None:
    assert set(metadata.tables) == set(TABLES)
    for row in TABLES.values():
        table = table_of(row)
        assert [c.name for c in table.columns] == [c.name for c in row.__columns__]
        assert tuple(c.name for c in table.primary_key.columns) == row.primary_key()


def test_a_schema_built_from_the_metadata_differs_only_by_partitioning(empty_admin_url: str) -> None:
    engine = sa.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(empty_admin_url))
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
    finally:
        engine.dispose()
    with psycopg.connect(empty_admin_url) as conn:
        drifts = check_drift(conn)
    assert {(d.table, d.kind) for d in drifts} == {
        ("cdrs", "partitioning"),
        ("usage_records", "partitioning"),
        ("messages", "partitioning"),
        ("device_health_metrics", "partitioning"),
        ("api_audit_logs", "partitioning"),
    }
