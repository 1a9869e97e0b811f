"""The domain indexes: declared once in the models, created by migration 011, compared by the drift check."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

from tests.support import Conn
from warp_models import TABLES, LcrRate, TrunkAcl, table_of
from warp_models._columns import Index
from warp_repo.migrations import bundled_migrations_dir, load_migrations
from warp_repo.migrations._drift import _index_shape, check_drift

DOMAIN_INDEXES = {
    "lcr_rates_prefix_effective_date_idx": "lcr_rates",
    "trunk_acl_network_idx": "trunk_acl",
    "phone_numbers_status_state_number_idx": "phone_numbers",
    "organizations_parent_org_id_idx": "organizations",
}


def test_index_definitions_are_read_back_whole() -> None:
    assert _index_shape("CREATE INDEX i ON public.t USING btree (org_id, start_time DESC)") == (
        "btree",
        "org_id, start_time DESC",
    )
    assert _index_shape(
        "CREATE INDEX i ON public.trunk_acl USING gist (set_masklen(ip_address, subnet_mask) inet_ops)"
    ) == ("gist", "set_masklen(ip_address, subnet_mask) inet_ops")
    assert _index_shape("CREATE INDEX i ON ONLY public.cdrs USING btree (lower((a)::text), b) INCLUDE (c)") == (
        "btree",
        "lower((a)::text), b",
    )
    assert _index_shape("CREATE INDEX i ON public.t USING btree (a) WHERE (b > 0)") == ("btree", "a")


def test_an_index_declares_its_method_and_expressions_and_the_metadata_builds_it() -> None:
    declared = {i.name: i for row in TABLES.values() for i in row.__table_spec__.indexes}
    assert declared["trunk_acl_network_idx"] == Index(
        "trunk_acl_network_idx", "set_masklen(ip_address, subnet_mask) inet_ops", using="gist"
    )
    assert declared["lcr_rates_prefix_effective_date_idx"].using == "btree"
    built = {str(i.name): i for i in table_of(TrunkAcl).indexes}
    ddl = str(CreateIndex(built["trunk_acl_network_idx"]).compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    assert (
        ddl
        == "CREATE INDEX trunk_acl_network_idx ON trunk_acl USING gist (set_masklen(ip_address, subnet_mask) inet_ops)"
    )
    rates = {str(i.name): i for i in table_of(LcrRate).indexes}["lcr_rates_prefix_effective_date_idx"]
    assert [c.name for c in rates.columns] == ["prefix", "effective_date"]
    assert isinstance(rates.columns["prefix"], sa.Column)


def test_migration_011_creates_the_declared_indexes_and_its_down_drops_them() -> None:
    (migration,) = [m for m in load_migrations(bundled_migrations_dir()) if m.version == "20261122_011"]
    created = dict(re.findall(r"CREATE INDEX (\w+) ON (\w+)", migration.up_sql))
    assert created == DOMAIN_INDEXES
    assert migration.down_sql is not None
    assert set(re.findall(r"DROP INDEX (\w+);", migration.down_sql)) == set(DOMAIN_INDEXES)
    declared = {i.name: row.__table_spec__.name for row in TABLES.values() for i in row.__table_spec__.indexes}
    assert DOMAIN_INDEXES.items() <= declared.items()


def test_the_migrated_schema_matches_the_models_and_a_changed_index_is_reported(admin_conn: Conn) -> None:
    conn = admin_conn  # the catalog, and indexes changed inside a transaction that is rolled back
    assert check_drift(conn) == []
    conn.execute("DROP INDEX trunk_acl_network_idx")
    conn.execute("CREATE INDEX trunk_acl_network_idx ON trunk_acl (ip_address)")
    conn.execute("DROP INDEX lcr_rates_prefix_effective_date_idx")
    found = {(d.table, d.kind): (d.expected, d.actual) for d in check_drift(conn)}
    assert found == {
        ("trunk_acl", "index"): (
            "trunk_acl_network_idx USING gist (set_masklen(ip_address, subnet_mask) inet_ops)",
            "(ip_address)",
        ),
        ("lcr_rates", "missing index"): ("lcr_rates_prefix_effective_date_idx (prefix, effective_date)", "nothing"),
    }


@pytest.mark.parametrize(
    "definition",
    ["USING gist (set_masklen(ip_address, 16) inet_ops)", "USING btree (set_masklen(ip_address, subnet_mask))"],
)
def test_the_expression_and_the_access_method_are_compared(admin_conn: Conn, definition: str) -> None:
    conn = admin_conn
    conn.execute("DROP INDEX trunk_acl_network_idx")
    conn.execute(f"CREATE INDEX trunk_acl_network_idx ON trunk_acl {definition}")
    assert [(d.table, d.kind) for d in check_drift(conn)] == [("trunk_acl", "index")]
