"""A write never raises after it has written: a returned row the model refuses leaves nothing behind.

A real trigger makes the database store a value the model refuses (``status = 'on-fire'`` for trunks named
``poison...``). Every write method must then raise ``RowNotWritten`` (chained from the ``ValidationError``) and leave
no row and no audit entry, inside a caller's transaction (which stays usable, its earlier work kept) and on an
autocommit connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from warp_models import OrganizationCreate, SipTrunk, SipTrunkCreate, SipTrunkUpdate
from warp_repo.errors import RepositoryError, RowNotWritten
from warp_repo.repos import OrganizationRepo, TrunkRepo

POISON_TRIGGER = """
CREATE FUNCTION poison_trunk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name LIKE 'poison%' THEN
        NEW.status := 'on-fire';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER poison_trunk BEFORE INSERT OR UPDATE ON sip_trunks FOR EACH ROW EXECUTE FUNCTION poison_trunk();
"""


@pytest.fixture(scope="module", autouse=True)
def poison_trigger(admin_url: str) -> Iterator[None]:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(POISON_TRIGGER)
        try:
            yield
        finally:
            admin.execute("DROP TRIGGER poison_trunk ON sip_trunks; DROP FUNCTION poison_trunk()")


@pytest.fixture
def admin(admin_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def org_id(database_url: str) -> uuid.UUID:
    with psycopg.connect(database_url) as connection:
        return OrganizationRepo(connection).insert(OrganizationCreate(name="Atomic")).id


def trunk(org_id: uuid.UUID, name: str, **values: Any) -> SipTrunkCreate:
    return SipTrunkCreate(org_id=org_id, name=name, username=f"{name}-{uuid.uuid4().hex[:8]}", **values)


def stored_names(admin: psycopg.Connection[Any], org_id: uuid.UUID) -> list[str]:
    rows = admin.execute("SELECT name, status FROM sip_trunks WHERE org_id = %s ORDER BY name", (org_id,)).fetchall()
    assert all(status != "on-fire" for _, status in rows), rows
    return [name for name, _ in rows]


def poison_audits(admin: psycopg.Connection[Any], org_id: uuid.UUID) -> int:
    found = admin.execute(
        "SELECT count(*) FROM audit_logs WHERE org_id = %s AND metadata->'changes'->>'name' LIKE 'poison%%'",
        (org_id,),
    ).fetchone()
    assert found is not None
    return int(found[0])


Write = Callable[[TrunkRepo, uuid.UUID, SipTrunk], object]
"""A poisoned write through a scoped repository, given the organization and one stored, well-formed trunk."""

WRITES: dict[str, Write] = {
    "insert": lambda repo, org, good: repo.insert(trunk(org, "poison-insert")),
    "insert_many": lambda repo, org, good: repo.insert_many([trunk(org, "fine-many"), trunk(org, "poison-many")]),
    "update": lambda repo, org, good: repo.update(good.id, SipTrunkUpdate(name="poison-update")),
    "upsert (new row)": lambda repo, org, good: repo.upsert(trunk(org, "poison-upsert")),
    "upsert (existing row)": lambda repo, org, good: repo.upsert(
        SipTrunkCreate(id=good.id, org_id=org, name="poison-existing", username=good.username)
    ),
    "upsert_many": lambda repo, org, good: repo.upsert_many([trunk(org, "fine-upsert"), trunk(org, "poison-up")]),
}


def assert_not_written(caught: pytest.ExceptionInfo[RowNotWritten]) -> None:
    assert isinstance(caught.value, RepositoryError)
    assert isinstance(caught.value.__cause__, ValidationError)
    assert caught.value.table == "sip_trunks"
    assert "status" in str(caught.value) and "nothing was stored" in str(caught.value)


@pytest.mark.parametrize("method", list(WRITES))
def test_inside_a_callers_transaction_the_write_is_undone_and_the_transaction_goes_on(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID, method: str
) -> None:
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        good = repo.insert(trunk(org_id, "good"))  # earlier work of the same transaction
        with pytest.raises(RowNotWritten) as caught:
            WRITES[method](repo, org_id, good)
        assert_not_written(caught)
        # The transaction is usable: nothing of the failed write is visible, the earlier row is, and more work runs.
        assert sorted(t.name for t in repo.list()) == ["good"]
        assert repo.get_one(good.id) == good
        repo.insert(trunk(org_id, "after"))
        conn.commit()
    assert stored_names(admin, org_id) == ["after", "good"]
    assert poison_audits(admin, org_id) == 0


@pytest.mark.parametrize("method", list(WRITES))
def test_on_an_autocommit_connection_the_write_is_undone(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID, method: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        good = repo.insert(trunk(org_id, "good"))
        with pytest.raises(RowNotWritten) as caught:
            WRITES[method](repo, org_id, good)
        assert_not_written(caught)
        assert repo.get_one(good.id) == good
    assert stored_names(admin, org_id) == ["good"]
    assert poison_audits(admin, org_id) == 0


def test_well_formed_writes_release_their_savepoint(database_url: str, org_id: uuid.UUID) -> None:
    """Each write's savepoint is released: writes in one transaction leave no open subtransaction behind."""
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        for i in range(5):
            repo.insert(trunk(org_id, f"t{i}"))
        # Releasing an unknown savepoint fails: none of the writes left theirs open.
        with pytest.raises(psycopg.errors.InvalidSavepointSpecification):
            conn.execute("RELEASE SAVEPOINT warp_repo_write")
        conn.rollback()
