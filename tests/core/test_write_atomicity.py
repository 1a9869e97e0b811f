"""A write never raises after it has written: a returned row the model refuses leaves nothing behind.

A real trigger makes the database store a value the model refuses (``status = 'on-fire'`` for trunks named
``poison...``). Every write method must then raise ``RowNotWritten`` (chained from the ``ValidationError``) and leave
no row and no audit entry: on an autocommit connection its own transaction is rolled back; inside a caller's
transaction, which opens no savepoint per write, that transaction is aborted, so nothing can be committed (a
savepoint of the caller's around the call recovers it).
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


ABORTING = [m for m in WRITES if m != "upsert_many"]
"""Writes that open nothing of their own in a caller's transaction (a scoped ``upsert_many`` of several rows runs
under a savepoint anyway: a row held by another organization is only found once the earlier ones are written)."""


def assert_refused(caught: pytest.ExceptionInfo[RowNotWritten], *, aborted: bool) -> None:
    assert isinstance(caught.value, RepositoryError)
    assert isinstance(caught.value.__cause__, ValidationError)
    assert caught.value.table == "sip_trunks"
    text = str(caught.value)
    assert "status" in text
    if aborted:
        assert "the transaction was aborted" in text and "roll it back" in text, text
    else:
        assert "nothing was stored" in text, text


def distinct_xids(admin: psycopg.Connection[Any], org_id: uuid.UUID) -> int:
    """How many transaction ids wrote the organization's trunks and audit entries (a savepoint has its own ``xmin``)."""
    found = admin.execute(
        "SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM sip_trunks WHERE org_id = %(org)s "
        "UNION ALL SELECT xmin FROM audit_logs WHERE org_id = %(org)s AND resource_type = 'sip_trunks') AS w",
        {"org": org_id},
    ).fetchone()
    assert found is not None
    return int(found[0])


@pytest.mark.parametrize("method", ABORTING)
def test_inside_a_callers_transaction_the_transaction_is_aborted_and_nothing_can_be_committed(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID, method: str
) -> None:
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        good = repo.insert(trunk(org_id, "good"))  # earlier work of the same transaction
        with pytest.raises(RowNotWritten) as caught:
            WRITES[method](repo, org_id, good)
        assert_refused(caught, aborted=True)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.commit()  # the server answers ROLLBACK: the earlier row goes too
    assert stored_names(admin, org_id) == []
    assert poison_audits(admin, org_id) == 0


@pytest.mark.parametrize("method", list(WRITES))
def test_a_callers_savepoint_around_the_write_recovers_and_the_transaction_goes_on(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID, method: str
) -> None:
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        good = repo.insert(trunk(org_id, "good"))
        with pytest.raises(RowNotWritten) as caught, conn.transaction():
            WRITES[method](repo, org_id, good)
        assert_refused(caught, aborted=method in ABORTING)
        # Nothing of the failed write is visible, the earlier row is, and more work runs.
        assert sorted(t.name for t in repo.list()) == ["good"]
        assert repo.get_one(good.id) == good
        repo.insert(trunk(org_id, "after"))
        conn.commit()
    assert stored_names(admin, org_id) == ["after", "good"]
    assert poison_audits(admin, org_id) == 0


def test_a_scoped_upsert_many_is_undone_by_its_own_savepoint(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID
) -> None:
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        good = repo.insert(trunk(org_id, "good"))
        with pytest.raises(RowNotWritten) as caught:
            WRITES["upsert_many"](repo, org_id, good)
        assert_refused(caught, aborted=False)
        repo.insert(trunk(org_id, "after"))
        conn.commit()
    assert stored_names(admin, org_id) == ["after", "good"]


def test_in_pipeline_mode_the_transaction_is_aborted_too(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID
) -> None:
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        with conn.pipeline():
            repo.insert(trunk(org_id, "good"))
            with pytest.raises(RowNotWritten) as caught:
                repo.insert(trunk(org_id, "poison-pipelined"))
        assert_refused(caught, aborted=True)
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.commit()
    assert stored_names(admin, org_id) == []
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
        assert_refused(caught, aborted=False)
        assert repo.get_one(good.id) == good
    assert stored_names(admin, org_id) == ["good"]
    assert poison_audits(admin, org_id) == 0


def test_writes_in_a_callers_transaction_take_no_transaction_id_of_their_own(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID
) -> None:
    """70 inserts, more than PostgreSQL's 64 cached subtransactions: every row (and audit entry) has one ``xmin``."""
    with psycopg.connect(database_url) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        for i in range(70):
            repo.insert(trunk(org_id, f"t{i:02}"))
        repo.insert_many([trunk(org_id, "many-a"), trunk(org_id, "many-b")])
        conn.commit()
    assert len(stored_names(admin, org_id)) == 72
    assert distinct_xids(admin, org_id) == 1


def test_autocommit_writes_take_one_transaction_id_each(
    database_url: str, admin: psycopg.Connection[Any], org_id: uuid.UUID
) -> None:
    """Each call's own transaction, no savepoint inside it: the row and its audit entry share their ``xmin``."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        repo = TrunkRepo(conn).for_org(org_id)
        for i in range(10):
            repo.insert(trunk(org_id, f"t{i}"))
    assert len(stored_names(admin, org_id)) == 10
    assert distinct_xids(admin, org_id) == 10


POISON_ORGANIZATION = """
CREATE FUNCTION poison_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name LIKE 'poison%' THEN
        NEW.status := 'on-fire';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER poison_organization BEFORE INSERT ON organizations FOR EACH ROW
    EXECUTE FUNCTION poison_organization();
"""


@pytest.fixture
def poison_organizations(admin: psycopg.Connection[Any]) -> Iterator[None]:
    admin.execute(POISON_ORGANIZATION)
    try:
        yield
    finally:
        admin.execute("DROP TRIGGER poison_organization ON organizations; DROP FUNCTION poison_organization()")


def organizations_named(admin: psycopg.Connection[Any], prefix: str) -> list[str]:
    rows = admin.execute("SELECT name FROM organizations WHERE name LIKE %s ORDER BY name", (prefix + "%",))
    return [name for (name,) in rows.fetchall()]


@pytest.mark.usefixtures("poison_organizations")
def test_unscoped_organization_insert_many_is_all_or_nothing_in_a_callers_transaction(
    database_url: str, admin: psycopg.Connection[Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    with psycopg.connect(database_url) as conn:
        repo = OrganizationRepo(conn)
        with pytest.raises(RowNotWritten) as caught:
            repo.insert_many([OrganizationCreate(name=f"fine-{tag}"), OrganizationCreate(name=f"poison-{tag}")])
        conn.commit()
    assert organizations_named(admin, f"fine-{tag}") == []
    assert organizations_named(admin, f"poison-{tag}") == []
    assert "the transaction was aborted" in str(caught.value)


@pytest.mark.usefixtures("poison_organizations")
def test_unscoped_organization_insert_many_is_all_or_nothing_on_autocommit(
    database_url: str, admin: psycopg.Connection[Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(RowNotWritten) as caught:
            OrganizationRepo(conn).insert_many(
                [OrganizationCreate(name=f"fine-{tag}"), OrganizationCreate(name=f"poison-{tag}")]
            )
        assert "nothing was stored" in str(caught.value)
    assert organizations_named(admin, f"fine-{tag}") == []
