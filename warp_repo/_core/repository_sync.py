# Generated from warp_repo/_core/repository_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Repositories over a psycopg ``Connection``: generic and tenant-scoped repositories.

Written once, as async code, in ``repository_async.py``; ``repository_sync.py`` is generated from it by
``tools/async_to_sync.py`` (run it after every edit; CI runs it with ``--check``). Statements come compiled and
cached from ``_sql``; this module only executes them. A repository never commits: the caller's transaction is
the unit of work.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from copy import copy
from itertools import islice
from typing import Any, LiteralString, Self, TypeVar
from uuid import UUID, uuid4

import psycopg
from psycopg import Connection, Cursor, sql
from psycopg.pq import TransactionStatus
from pydantic import ValidationError

from warp_models import AuditLog, AuditLogCreate, Row
from warp_models._columns import OrgScoped, ParentScoped
from warp_repo._core import statements as _sql
from warp_repo._core.cursor import Page, check_sortable, decode_cursor, encode_cursor
from warp_repo._core.loading import session_in_utc, use_read_loaders
from warp_repo._core.statements import (
    PLATFORM_REACH,
    SET_TENANT,
    CreateT,
    Filter,
    OrderBy,
    RepoCore,
    RowT,
    Statement,
    UpdateT,
)
from warp_repo.audit import Actor, audit_entry
from warp_repo.errors import (
    NotFound,
    QueryError,
    RowNotWritten,
    RowSecurityViolation,
    TenantScopeError,
    translating,
)

T = TypeVar("T")

_SAVEPOINT = "warp_repo_atomic"


@contextmanager
def atomic(conn: Connection[Any], savepoint: str = _SAVEPOINT) -> Iterator[None]:
    """All or nothing, the caller's transaction surviving a failure.

    A savepoint of the caller's transaction; on an autocommit connection, a transaction of its own (committed when
    the block ends). Shared by the repositories and the domain services.
    """
    if conn.autocommit:
        # Its COMMIT translated too: a connection lost there is ConnectionLost, outcome unknown.
        with translating(), conn.transaction():
            yield
        return
    with translating():  # an aborted transaction refuses the savepoint itself (25P02)
        conn.execute(f"SAVEPOINT {savepoint}")
    try:
        yield
    except BaseException:
        try:
            conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
        except psycopg.Error:  # the connection is gone: the caller's transaction is lost anyway
            pass
        raise
    with translating():
        conn.execute(f"RELEASE SAVEPOINT {savepoint}")


def execute_within(
    cur: Cursor[Any],
    sql: LiteralString,
    params: Mapping[str, Any],
    scope: UUID | None,
    platform: bool,
) -> None:
    """Run one statement within its reach: an organization (``scope``), the platform, or neither.

    The one executor of the repositories and the services. The tenant context (``warp.org_id``) or the platform
    reach (``warp.platform``) is set first, in the same round trip as the statement, and lasts until the
    transaction ends; on an autocommit connection both run in a transaction of their own.
    """
    if scope is None and not platform:
        cur.execute(sql, params)
        return
    conn = cur.connection
    with conn.pipeline(), own_transaction(conn):
        if scope is not None:
            conn.execute(SET_TENANT, (str(scope),))
        else:
            conn.execute(PLATFORM_REACH)
        cur.execute(sql, params)


def own_transaction(conn: Connection[Any]) -> AbstractContextManager[object]:
    """On an autocommit connection, a transaction for work of several statements; else nothing to add.

    Nothing either when a transaction is open already (the call's own, or one the caller began with
    ``conn.transaction()``): a nested ``conn.transaction()`` would be a savepoint, a transaction id more per call.
    """
    return _committed_here(conn) if runs_own_transaction(conn) else nullcontext()


def runs_own_transaction(conn: Connection[Any]) -> bool:
    """Whether a call starting now runs in a transaction of its own: autocommit, and no transaction open."""
    return conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE


@contextmanager
def _committed_here(conn: Connection[Any]) -> Iterator[None]:
    # Its COMMIT translated too: a connection lost there is ConnectionLost, outcome unknown.
    with translating(), conn.transaction():
        yield


_ABORT: LiteralString = "SELECT CAST(%s AS integer)"
"""A statement that fails on purpose (22P02), its text in the server's log: plain SQL, so CockroachDB runs it too."""


def abort_transaction(conn: Connection[Any], reason: str) -> None:
    """Put the caller's transaction in the aborted state, as a failed statement does, so nothing can be committed.

    ``reason`` is the text the cast refuses: the server's log names it. In pipeline mode the error comes with the
    results, hence the fetch. A lost connection loses the transaction anyway.
    """
    try:
        cur = conn.execute(_ABORT, (f"warp: {reason}; transaction aborted",))
        cur.fetchone()
    except psycopg.Error:
        return
    raise AssertionError("the aborting statement succeeded")  # pragma: no cover - the text is never an integer


def refused(conn: Connection[Any], own: bool, verb: str, table: str, model: str, exc: ValidationError) -> RowNotWritten:
    """The ``RowNotWritten`` of a write whose returned row ``model`` refuses, once its effects cannot stay.

    ``own``: the call runs in a transaction of its own (or under a savepoint of its own), whose rollback, as the
    error is raised through it, undoes the write; else the caller's transaction is aborted first.

    Args:
        conn: the connection the write ran on.
        own: whether the write is undone by the call's own transaction or savepoint.
        verb: the statement, ``INSERT INTO``, ``UPDATE`` or ``DELETE FROM``.
        table: the table written.
        model: the model that refuses the row.
        exc: its validation error.
    """
    columns = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
    what = f"{verb} {table}"
    said = (
        f"{table}: the row returned by {what} does not fit {model} "
        f"({', '.join(columns) or 'a cross-column rule'}): a trigger, a changed column default or another system's "
        "data; "
    )
    if own:
        return RowNotWritten(said + "the write was undone and nothing was stored", table=table)
    abort_transaction(conn, f"the row returned by {what} does not fit its model")
    return RowNotWritten(
        said + "the transaction was aborted, so nothing it wrote can be committed: roll it back (when the call ran "
        "inside conn.transaction(), that block's savepoint was rolled back and the transaction carries on)",
        table=table,
    )


class _WriteGuard:
    """Keeps a write's effects from staying when its returned rows do not fit the model, at no cost otherwise.

    The call's own transaction (on an autocommit connection), or a savepoint the call opens anyway, undoes the
    write as ``RowNotWritten`` is raised through it. Inside a caller's transaction nothing is opened (a savepoint
    per write would take a transaction id each, and more than 64 in one transaction overflow PostgreSQL's
    subtransaction cache): the caller's transaction is aborted instead, as by any failed statement.
    """

    __slots__ = ("conn", "own")

    def __init__(self, conn: Connection[Any], own: bool | None = None) -> None:
        self.conn = conn
        self.own = runs_own_transaction(conn) if own is None else own


class _KeptCursor:
    """A connection's cursor for reads of a few rows, kept between calls: made, and given the read loaders, once.

    A point get costs a round trip and little else; making a cursor and resolving its loaders per call was a fifth
    of the rest. A call takes it only if no other call holds it (threads or tasks sharing the connection make a
    cursor of their own meanwhile); it holds at most its last small result.
    """

    __slots__ = ("cursor", "lock")

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cursor = cursor
        self.lock = threading.Lock()


_KEPT_CURSOR = "_warp_repo_kept_cursor"


def _kept_cursor(conn: Connection[Any]) -> _KeptCursor:
    """``conn``'s kept cursor, made on first use (an attribute of the connection, gone with it)."""
    kept: _KeptCursor | None = getattr(conn, _KEPT_CURSOR, None)
    if kept is None or kept.cursor.closed:
        cursor = conn.cursor()
        use_read_loaders(cursor)
        kept = _KeptCursor(cursor)
        setattr(conn, _KEPT_CURSOR, kept)
    return kept


_PARENT_CHECK_CHUNK = 1000
_ROW_SECURITY: LiteralString = "SELECT row_security_active(%s::regclass)"
_AUDIT_TABLE = "audit_logs"


class Repo(RepoCore[RowT, CreateT, UpdateT]):
    """Typed access to one table through an ``Connection``; rows come back as ``RowT`` models.

    Rows read are built the trusted way (``Row.from_db_trusted``: what was validated on its way in is not validated
    again, a value outside the model's types is refused); ``validate_reads=True`` (or the class attribute)
    validates them in full, for tables other systems write. Rows returned by a write are always validated, before
    the write's effects can stay: one that does not fit raises ``RowNotWritten``, the call's own transaction rolled
    back or, inside the caller's transaction, that transaction aborted (no savepoint is opened per write).

    Subclasses name the table's three models once, as type arguments (see ``warp_repo.repos``). Statements run in
    the caller's transaction and are never committed here (on an autocommit connection, a call of several
    statements runs in a transaction of its own, as autocommit asks). A driver error is raised as the matching
    ``warp_repo.errors`` class (chained ``from`` it) when the SDK knows one, else unchanged; after a database
    error the caller's transaction is aborted, as with any psycopg statement, except in ``copy_in``.

    Every write leaves an audit trail in the same transaction (see ``warp_repo.audit``): one ``audit_logs`` row per
    row inserted, updated, upserted or deleted (action ``insert``, ``update``, ``upsert`` or ``delete``;
    ``resource_type`` the table, ``resource_id`` the row's key, ``org_id`` the repository's organization or else
    the row's, the columns written under ``metadata.changes``, secret values redacted), and one per ``copy_in``
    call that wrote rows (action ``copy``, the count under ``metadata.rows``). The audit rows of one call go in
    one pipelined batch; writes to ``audit_logs`` itself are not audited. Under row-level security the audit row
    is checked like any other: it must belong to the transaction's tenant (or have the platform reach).

    Args:
        conn: the connection statements run on.
        actor: who makes the changes, recorded in the audit trail (``for_org(..., actor=...)`` can set it too).
    """

    def __init__(
        self, conn: Connection[Any], *, actor: Actor | None = None, validate_reads: bool | None = None
    ) -> None:
        self._conn = conn
        self._scope = None
        self._actor = actor or Actor()
        if validate_reads is not None:
            self.validate_reads = validate_reads

    @property
    def connection(self) -> Connection[Any]:
        """The connection statements run on."""
        return self._conn

    @property
    def actor(self) -> Actor:
        """Who the audit trail says makes this repository's changes."""
        return self._actor

    def __repr__(self) -> str:
        scope = f" org_id={self._scope}" if self._scope is not None else ""
        return f"<{type(self).__name__} {self._info.name}{scope}>"

    # --- execution ---------------------------------------------------------------------------------------------

    def _fetch(
        self,
        stmt: Statement,
        params: dict[str, Any],
        scope: UUID | None,
        platform: bool = False,
        few: bool = False,
    ) -> builtins.list[RowT]:
        # The error translation and the collector's pause are entered only where they act (a driver error, a result
        # of many rows): a point get, a page, pays for neither context.
        try:
            if few:  # a result of a few rows: the connection's kept cursor, unless another call holds it
                kept = _kept_cursor(self._conn)
                if kept.lock.acquire(blocking=False):
                    try:
                        cur = kept.cursor
                        cur.row_factory = self._rows()
                        self._execute(cur, stmt, params, scope, platform)
                        return cur.fetchall()
                    finally:
                        kept.lock.release()
            with self._conn.cursor(row_factory=self._rows()) as cur:
                use_read_loaders(cur)
                self._execute(cur, stmt, params, scope, platform)
                if cur.rowcount < _sql.PAUSE_FROM_ROWS:
                    return cur.fetchall()
                with _sql.collector_paused(cur.rowcount):
                    return cur.fetchall()
        except psycopg.Error:
            with translating(self.model):
                raise

    def _scalar(self, stmt: Statement, params: dict[str, Any], scope: UUID | None, platform: bool = False) -> Any:
        with translating(self.model), self._conn.cursor() as cur:
            self._execute(cur, stmt, params, scope, platform)
            row = cur.fetchone()
            return row[0] if row is not None else None

    def _tuples(self, stmt: Statement, params: dict[str, Any], scope: UUID | None) -> builtins.list[Any]:
        with translating(self.model), self._conn.cursor() as cur:
            self._execute(cur, stmt, params, scope)
            return cur.fetchall()

    def _execute(
        self,
        cur: Cursor[Any],
        stmt: Statement,
        params: dict[str, Any],
        scope: UUID | None,
        platform: bool = False,
    ) -> None:
        execute_within(cur, stmt.sql, params, scope, platform)

    def _write(self, stmt: Statement, params: dict[str, Any], guard: _WriteGuard, verb: str) -> builtins.list[RowT]:
        """Run one write returning rows; the rows validated (see ``_checked``)."""
        with translating(self.model), self._conn.cursor() as cur:
            self._execute(cur, stmt, params, self._scope)
            stored = cur.fetchall()
        return self._checked(stored, guard, verb)

    def _checked(self, stored: Sequence[Any], guard: _WriteGuard, verb: str) -> builtins.list[RowT]:
        """The rows a write returned, validated in full; one that does not fit keeps the write from staying."""
        make = self._rows(validate=True)(None)  # type: ignore[arg-type]  # the factory reads nothing from it
        try:
            return [make(values) for values in stored]
        except ValidationError as exc:
            raise refused(guard.conn, guard.own, verb, self._info.name, self.model.__name__, exc) from exc

    def _atomic(self) -> AbstractContextManager[None]:
        """All or nothing, the caller's transaction surviving a failure (see :func:`atomic`)."""
        return atomic(self._conn)

    def _own_transaction(self) -> AbstractContextManager[object]:
        """On an autocommit connection, a transaction for work of several statements; else nothing to add."""
        return own_transaction(self._conn)

    def _set_tenant(self, scope: UUID | None) -> None:
        if scope is not None:
            self._conn.execute(SET_TENANT, (str(scope),))

    def _check_parents(self, scope: UUID | None, parents: Iterable[UUID]) -> None:
        """Refuse parent keys that are not rows of ``scope`` (parent-scoped tables only)."""
        wanted = set(parents)
        if scope is None or not wanted:
            return
        tenant = self._info.tenant
        assert isinstance(tenant, ParentScoped)
        # The parents are read under the tenant context: as the application role, nothing is visible without it.
        with translating(self.model):
            with self._conn.pipeline():
                self._conn.execute(SET_TENANT, (str(scope),))
                cur = self._conn.execute(_sql.owned_parents(tenant).sql, {"keys": list(wanted), "scope": scope})
            error = self._not_owned(scope, wanted, cur.fetchall())
        if error is not None:
            raise error

    def _run_many(self, stmt: Statement, params: builtins.list[dict[str, Any]]) -> builtins.list[Any]:
        """Run one pipelined batch of a write; the rows it returned, as stored (validated by ``_checked``)."""
        out: builtins.list[Any] = []
        with translating(self.model), self._conn.cursor() as cur:
            cur.executemany(stmt.sql, params, returning=True)
            for result in cur.results():
                out.extend(result.fetchall())
        return out

    # --- audit trail -------------------------------------------------------------------------------------------

    @property
    def _audited(self) -> bool:
        return self._info.name != _AUDIT_TABLE

    def _entry(
        self,
        action: str,
        org_id: UUID | None,
        key: Any = None,
        changes: Mapping[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> AuditLogCreate:
        actor = self._actor
        return audit_entry(
            action,
            org_id=org_id,
            resource_type=self._info.name,
            resource_id=key,
            user_id=actor.user_id,
            api_key_id=actor.api_key_id,
            ip_address=actor.ip_address,
            user_agent=actor.user_agent,
            changes=changes,
            metadata=metadata,
        )

    def _row_org(self, row: Row) -> UUID | None:
        """The organization an audit entry about ``row`` belongs to: the scope, else the row's own."""
        if self._scope is not None:
            return self._scope
        tenant = self._info.tenant
        return getattr(row, tenant.column) if isinstance(tenant, OrgScoped) else None

    def _audit_rows(self, action: str, rows: Sequence[RowT], written: Sequence[Iterable[str]]) -> None:
        """One entry per changed row; ``written[i]`` names the columns written to ``rows[i]``."""
        if not self._audited or not rows:
            return
        key = self._info.key
        entries = [
            self._entry(action, self._row_org(row), getattr(row, key), {name: getattr(row, name) for name in names})
            for row, names in zip(rows, written, strict=True)
        ]
        self._write_audit(entries)

    def _audit_deleted(self, gone: Sequence[Any]) -> None:
        """One ``delete`` entry per deleted row; ``gone`` holds (key, organization column if any) tuples."""
        if not self._audited or not gone:
            return
        tenant = self._info.tenant
        own = isinstance(tenant, OrgScoped)
        # An organization's own deletion entry cannot reference it (audit_logs.org_id is a foreign key): it names
        # the organization as its resource only.
        root = self._info.root
        entries = []
        for found in gone:
            org = None if root else self._scope if self._scope is not None else (found[-1] if own else None)
            entries.append(self._entry("delete", org, found[0]))
        self._write_audit(entries)

    def _write_audit(self, entries: Sequence[AuditLogCreate]) -> None:
        """Insert audit entries in one pipelined batch (one round trip for a whole call)."""
        if not entries:
            return
        with translating(AuditLog), self._conn.cursor() as cur, self._conn.pipeline():
            for columns, batch in _runs([_sql.driver_values(e) for e in entries]):
                cur.executemany(_sql.insert_row(AuditLog, columns).sql, batch)

    # --- reads -------------------------------------------------------------------------------------------------

    def get(self, key: UUID) -> RowT | None:
        """The row whose key (``id``, or the one-column primary key) is ``key``, or ``None``.

        On a partitioned table the key is ``id`` alone; the partition column is not needed.
        """
        scope = self._scope
        params: dict[str, Any] = {"key": key} if scope is None else {"key": key, "scope": scope}
        stmt = _sql.select_by_key(self.model, scope is not None, False, session_in_utc(self._conn))
        rows = self._fetch(stmt, params, scope, few=True)
        return rows[0] if rows else None

    def get_one(self, key: UUID) -> RowT:
        """The row whose key is ``key``.

        Raises:
            NotFound: there is none (or it belongs to another organization than the repository's).
        """
        row = self.get(key)
        if row is None:
            raise self._not_found(key)
        return row

    def get_many(self, keys: Iterable[UUID]) -> builtins.list[RowT]:
        """The rows whose keys are in ``keys``, in the order of ``keys``; missing keys are skipped."""
        wanted = builtins.list(dict.fromkeys(keys))
        if not wanted:
            return []
        stmt = _sql.select_by_key(self.model, self._scope is not None, True, session_in_utc(self._conn))
        rows = self._fetch(stmt, {"keys": wanted, **self._scope_params(self._scope)}, self._scope)
        by_key = {getattr(r, self._info.key): r for r in rows}
        return [by_key[k] for k in wanted if k in by_key]

    def list(self, *filters: Filter, order_by: OrderBy = (), limit: int | None = None) -> builtins.list[RowT]:
        """The rows matching every filter, in ``order_by`` order (key last, so the order is total), at most ``limit``.

        Raises:
            TenantScopeError: the table holds tenant data and the repository is not scoped (``for_org``).
        """
        self._require_scope("list")
        return self._list(filters, order_by, limit, self._scope)

    def _list(
        self,
        filters: Sequence[Filter],
        order_by: OrderBy,
        limit: int | None,
        scope: UUID | None,
        platform: bool = False,
    ) -> builtins.list[RowT]:
        where, params = _sql.bind_filters(self._info, filters)
        order = _sql.parse_order(self._info, order_by) if order_by else ()
        stmt = _sql.select_rows(
            self.model, where, scope is not None, order, limit is not None, utc=session_in_utc(self._conn)
        )
        if limit is not None:
            params["limit"] = limit
        return self._fetch(stmt, params | self._scope_params(scope), scope, platform)

    def count(self, *filters: Filter) -> int:
        """How many rows match every filter.

        Raises:
            TenantScopeError: the table holds tenant data and the repository is not scoped (``for_org``).
        """
        self._require_scope("count")
        return self._count(filters, self._scope)

    def _count(self, filters: Sequence[Filter], scope: UUID | None, platform: bool = False) -> int:
        where, params = _sql.bind_filters(self._info, filters)
        stmt = _sql.count_rows(self.model, where, scope is not None)
        return int(self._scalar(stmt, params | self._scope_params(scope), scope, platform))

    def exists(self, *filters: Filter) -> bool:
        """Whether any row matches every filter.

        Raises:
            TenantScopeError: the table holds tenant data and the repository is not scoped (``for_org``).
        """
        self._require_scope("exists")
        where, params = _sql.bind_filters(self._info, filters)
        stmt = _sql.exists_rows(self.model, where, self._scope is not None)
        return bool(self._scalar(stmt, params | self._scope_params(self._scope), self._scope))

    def page(self, *filters: Filter, after: str | None = None, limit: int = 50, order_by: OrderBy = ()) -> Page[RowT]:
        """One page of the rows matching every filter, by keyset: stable however rows are added meanwhile.

        Args:
            filters: conditions every row meets.
            after: the ``next_cursor`` of the previous page; ``None`` for the first page.
            limit: the most rows a page holds.
            order_by: the ordering (the key column is appended to make it total); pass the same on every page.

        Raises:
            InvalidCursor: ``after`` was altered or belongs to another table, scope or ordering.
            TenantScopeError: the table holds tenant data and the repository is not scoped (``for_org``).
        """
        self._require_scope("page")
        return self._page(filters, after, limit, order_by, self._scope)

    def _page(
        self,
        filters: Sequence[Filter],
        after: str | None,
        limit: int,
        order_by: OrderBy,
        scope: UUID | None,
        platform: bool = False,
    ) -> Page[RowT]:
        if limit < 1:
            raise QueryError(f"page(limit={limit}): a page holds at least one row")
        order = _sql.parse_order(self._info, order_by)
        check_sortable(self._info, order)
        where, params = _sql.bind_filters(self._info, filters)
        keyset = None
        if after is not None:
            position = decode_cursor(after, self._info, scope, order)
            keyset = tuple(v is None for v in position)
            params |= {f"k{i}": v for i, v in enumerate(position)}
        stmt = _sql.select_rows(self.model, where, scope is not None, order, True, keyset, session_in_utc(self._conn))
        params["limit"] = limit + 1
        few = limit < _sql.PAUSE_FROM_ROWS
        rows = self._fetch(stmt, params | self._scope_params(scope), scope, platform, few)
        if len(rows) <= limit:
            return Page(rows, None)
        items = rows[:limit]
        return Page(items, encode_cursor(self._info, scope, order, items[-1]))

    # --- writes ------------------------------------------------------------------------------------------------

    def insert(self, create: CreateT) -> RowT:
        """Insert one row; columns left out of ``create`` take their server defaults, returned filled in.

        Raises:
            Conflict: a unique key is taken. InvalidReference: a foreign key points at no row.
            TenantScopeError: scoped, and the row belongs to another organization.
            RowNotWritten: the row returned does not fit the model; inside a caller's transaction, that transaction
                is aborted (roll it back).
        """
        return self._insert(create, _WriteGuard(self._conn))

    def _insert(self, create: CreateT, guard: _WriteGuard) -> RowT:
        if self._scope is None and self._info.root:
            return self._insert_organization(create, guard)
        values, parent = self._insert_values(create, self._scope)
        stmt = _sql.insert_row(self.model, tuple(values))
        with self._own_transaction():
            self._check_parents(self._scope, [parent] if parent is not None else [])
            rows = self._write(stmt, _prefixed(values), guard, "INSERT INTO")
            self._audit_rows("insert", rows, [values])
        return rows[0]

    def _insert_organization(self, create: CreateT, guard: _WriteGuard) -> RowT:
        """An unscoped insert into the organizations table: the new row is its own tenant.

        The row's id (a new UUID when ``create`` has none) is set as the transaction's tenant context before the
        ``INSERT``, so the tenant policy lets the application role create it; the context stays set afterwards,
        as after any scoped call.
        """
        key = self._info.key
        org_id = getattr(create, key, None) or uuid4()
        scoped = copy(self)
        scoped._scope = org_id
        return scoped._insert(create.model_copy(update={key: org_id}) if key not in create.given() else create, guard)

    def insert_many(self, creates: Iterable[CreateT]) -> builtins.list[RowT]:
        """Insert rows in one pipelined batch per column set; the rows come back in the order given.

        Unscoped, rows of the organizations table are inserted one by one, each as its own tenant (see ``insert``),
        all or none of them.
        """
        guard = _WriteGuard(self._conn)
        if self._scope is None and self._info.root:
            with self._own_transaction():
                return [self._insert_organization(c, guard) for c in creates]
        prepared = [self._insert_values(c, self._scope) for c in creates]
        stored: builtins.list[Any] = []
        with self._own_transaction():
            self._check_parents(self._scope, [p for _, p in prepared if p is not None])
            with self._conn.pipeline():
                self._set_tenant(self._scope)
                for columns, batch in _runs([v for v, _ in prepared]):
                    stored.extend(self._run_many(_sql.insert_row(self.model, columns), batch))
            out = self._checked(stored, guard, "INSERT INTO")
            self._audit_rows("insert", out, [v for v, _ in prepared])
        return out

    def update(self, key: UUID, patch: UpdateT) -> RowT:
        """Change the fields ``patch`` was given (and ``updated_at``, where the table has it); return the row.

        Raises:
            NotFound: no row has that key (in the repository's organization).
            TenantScopeError: scoped, and the patch would move the row to another organization.
        """
        values, parent = self._patch_values(patch, self._scope)
        if not values:
            return self.get_one(key)
        stmt = _sql.update_row(self.model, tuple(values), self._scope is not None)
        params = _prefixed(values) | {"key": key} | self._scope_params(self._scope)
        guard = _WriteGuard(self._conn)
        with self._own_transaction():
            self._check_parents(self._scope, [parent] if parent is not None else [])
            rows = self._write(stmt, params, guard, "UPDATE")
            self._audit_rows("update", rows, [values])
        if not rows:
            raise self._not_found(key)
        return rows[0]

    def upsert(self, create: CreateT, on: Sequence[str] | None = None) -> RowT:
        """Insert the row, or update the given columns of the row that holds the same key ``on``.

        Args:
            create: the row.
            on: the columns of a unique key as stored (a partitioned table's keys include the partition
                column); the primary key when ``None``.

        Raises:
            QueryError: ``on`` is not a unique key of the table.
            TenantScopeError: scoped, and the row holding that key belongs to another organization.
        """
        rows = self.upsert_many([create], on)
        return rows[0]

    def upsert_many(self, creates: Iterable[CreateT], on: Sequence[str] | None = None) -> builtins.list[RowT]:
        """``upsert`` for many rows, in one pipelined batch per column set; rows come back in the order given."""
        key = self._conflict_on(on)
        prepared = [self._insert_values(c, self._scope) for c in creates]
        scoped = self._scope is not None
        stored: builtins.list[Any] = []
        # A row found in another organization is only known once the earlier rows are written: undo them too.
        undone_here = scoped and len(prepared) > 1
        guard = _WriteGuard(self._conn, own=True if undone_here else None)
        with self._atomic() if undone_here else self._own_transaction():
            self._check_parents(self._scope, [p for _, p in prepared if p is not None])
            with self._conn.pipeline():
                self._set_tenant(self._scope)
                for columns, batch in _runs([v for v, _ in prepared]):
                    stmt = _sql.upsert_row(self.model, columns, key, scoped)
                    params = [p | self._scope_params(self._scope) for p in batch]
                    try:
                        stored.extend(self._upsert_batch(stmt, params, key))
                    except RowSecurityViolation as exc:
                        # Under row-level security, ON CONFLICT meets a row the tenant cannot see: held elsewhere.
                        if not scoped:
                            raise
                        raise self._held_elsewhere(key) from exc.__cause__
            out = self._checked(stored, guard, "INSERT INTO")
            self._audit_rows("upsert", out, [v for v, _ in prepared])
        return out

    def _upsert_batch(
        self, stmt: Statement, params: builtins.list[dict[str, Any]], key: tuple[str, ...]
    ) -> builtins.list[Any]:
        """Run one pipelined upsert batch; a row that comes back empty is held by another organization.

        That row was left unchanged; the rows written before it, if any, are undone by the enclosing ``atomic``
        block.
        """
        out: builtins.list[Any] = []
        with translating(self.model), self._conn.cursor() as cur:
            cur.executemany(stmt.sql, params, returning=True)
            for result in cur.results():
                found = result.fetchall()
                if not found:
                    raise self._held_elsewhere(key)
                out.extend(found)
        return out

    def delete(self, key: UUID) -> bool:
        """Delete the row whose key is ``key``; whether there was one (in the repository's organization)."""
        stmt = _sql.delete_returning(self.model, None, self._scope is not None)
        with self._own_transaction():
            gone = self._tuples(stmt, {"key": key, **self._scope_params(self._scope)}, self._scope)
            self._audit_deleted(gone)
        return bool(gone)

    def delete_where(self, *filters: Filter) -> int:
        """Delete the rows matching every filter (at least one); how many were deleted.

        Raises:
            QueryError: no filter was given (emptying a table takes an explicit statement).
            TenantScopeError: the table holds tenant data and the repository is not scoped (``for_org``).
        """
        if not filters:
            raise QueryError("delete_where() needs at least one filter; it never empties a table")
        self._require_scope("delete_where")
        where, params = _sql.bind_filters(self._info, filters)
        stmt = _sql.delete_returning(self.model, where, self._scope is not None)
        with self._own_transaction():
            gone = self._tuples(stmt, params | self._scope_params(self._scope), self._scope)
            self._audit_deleted(gone)
        return len(gone)

    def copy_in(self, rows: Iterable[CreateT | Mapping[str, Any]]) -> int:
        """Stream rows into the table with ``COPY ... FROM STDIN (FORMAT BINARY)``; how many were written.

        Mappings are validated with the create model as they stream (scoped, one without ``org_id`` takes the
        repository's); a ``pydantic.ValidationError`` then names the row's index (0-based) first in each error's
        ``loc``, e.g. ``(50001, 'start_time')``. Create models are taken as validated already. The rows go in
        under a savepoint of the caller's transaction (on an autocommit connection, in a transaction of their
        own): when any row fails, validation or database error alike, none of them stays and the caller's
        transaction remains usable.

        Where row-level security applies to the current role (``row_security_active``, asked once per call),
        PostgreSQL refuses ``COPY FROM`` into the table: the rows are then copied into a temporary staging table
        (unique to the call, dropped at the end) and moved in with ``INSERT ... SELECT``, so the policies check
        every row. A row the policies refuse (another organization than the transaction's tenant context, SQLSTATE
        42501) raises ``TenantScopeError``, chained from the driver's error, and leaves no row. A superuser or a
        role that bypasses row-level security copies straight into the table.

        The audit trail gets one entry per call that wrote rows (action ``copy``, the count under
        ``metadata.rows``), not one per row.
        """
        # The statements around the COPY stream translated too (a connection lost there is ConnectionLost).
        with translating(self.model), self._atomic():
            return self._copy(rows)

    def _copy(self, rows: Iterable[CreateT | Mapping[str, Any]]) -> int:
        scope = self._scope
        self._set_tenant(scope)
        staging = self._staging()
        orgs: set[Any] = set()
        items = self._ingest(rows, scope, orgs)
        if scope is None or not isinstance(self._info.tenant, ParentScoped):
            written = self._copy_stream(items, staging)
        else:
            # Parents are checked before their rows are sent: no other statement can run while a COPY streams.
            written = 0
            for chunk in _chunks(items, _PARENT_CHECK_CHUNK):
                self._check_parents(scope, {parent for _, parent in chunk if parent is not None})
                written += self._copy_stream(iter(chunk), staging)
        if staging is not None:
            self._conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(staging)))
        if written and self._audited:
            org = scope if scope is not None else (next(iter(orgs)) if len(orgs) == 1 else None)
            self._write_audit([self._entry("copy", org, metadata={"rows": written})])
        return written

    def _staging(self) -> str | None:
        """A new temporary table shaped like this one when row-level security applies (``COPY`` refuses it)."""
        with translating(self.model):
            cur = self._conn.execute(_ROW_SECURITY, (self._info.name,))
            found = cur.fetchone()
        if found is None or not found[0]:
            return None
        staging = f"warp_copy_{uuid4().hex}"
        self._conn.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                sql.Identifier(staging), sql.Identifier(self._info.name)
            )
        )
        return staging

    def _copy_stream(self, items: Iterator[tuple[dict[str, Any], UUID | None]], staging: str | None) -> int:
        """``COPY`` rows; a new ``COPY`` starts whenever the set of columns given changes.

        With a staging table, each ``COPY`` goes there and its rows are then moved into the table.
        """
        written = 0
        pending = next(items, None)
        with translating(self.model), self._conn.cursor() as cur:
            while pending is not None:
                columns = tuple(pending[0])
                stmt = _sql.copy_rows(self.model, columns)
                target: sql.SQL | sql.Composed = sql.SQL(stmt.sql)
                if staging is not None:
                    target = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                        sql.Identifier(staging), _names(columns)
                    )
                with cur.copy(target) as copy_:
                    copy_.set_types(builtins.list(stmt.types))
                    while pending is not None and tuple(pending[0]) == columns:
                        copy_.write_row(builtins.list(pending[0].values()))
                        written += 1
                        pending = next(items, None)
                if staging is not None:
                    self._move_staged(cur, staging, columns)
        return written

    def _move_staged(self, cur: Cursor[Any], staging: str, columns: tuple[str, ...]) -> None:
        """Move the staged rows into the table, through its policies, and empty the staging table."""
        names = _names(columns)
        move = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
            sql.Identifier(self._info.name), names, names, sql.Identifier(staging)
        )
        try:
            cur.execute(move)
        except psycopg.errors.InsufficientPrivilege as exc:
            where = f"organization {self._scope}" if self._scope is not None else "the transaction's tenant context"
            raise TenantScopeError(
                f"{self._info.name}: row-level security refused a copied row: it belongs to another organization "
                f"than {where} (SQLSTATE 42501); no row was written"
            ) from exc
        cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(staging)))

    def _ingest(
        self, rows: Iterable[CreateT | Mapping[str, Any]], scope: UUID | None, orgs: set[Any]
    ) -> Iterator[tuple[dict[str, Any], UUID | None]]:
        """The rows as values to copy; unscoped, the organizations they belong to are collected in ``orgs``."""
        tenant = self._info.tenant
        column = tenant.column if scope is None and isinstance(tenant, OrgScoped) else None
        for index, item in enumerate(rows):
            values, parent = self._insert_values(self._validated(index, item, scope), scope)
            if column is not None:
                orgs.add(values.get(column))
            yield values, parent

    def _not_found(self, key: UUID) -> NotFound:
        where = f" in organization {self._scope}" if self._scope is not None else ""
        return NotFound(f"{self._info.name}: no row with {self._info.key} = {key}{where}", table=self._info.name)


class TenantRepo(Repo[RowT, CreateT, UpdateT]):
    """A repository of a table holding tenant data: scoped with ``for_org``, or read by organization.

    Unscoped, it reads and writes single rows by key; reading or deleting many rows needs a scope, and reading
    across organizations goes through the methods named ``unscoped_platform_*``.
    """

    _tenant_api = True

    def for_org(self, org_id: UUID, *, actor: Actor | None = None) -> Self:
        """This repository limited to one organization.

        Every read sees only that organization's rows, inserts are stamped with it, a write whose row belongs
        to another organization raises ``TenantScopeError``, and each statement first sets the transaction's
        tenant context (``set_config('warp.org_id', ..., true)``, transaction-local).

        Args:
            org_id: the organization.
            actor: who makes the changes, for the audit trail; this repository's actor when ``None``.
        """
        if not isinstance(org_id, UUID):
            raise TenantScopeError(
                f"{type(self).__name__}.for_org() takes the organization's UUID, not {type(org_id).__name__}"
                + (": a repository scoped to no organization would see nothing" if org_id is None else "")
                + "; convert a string with uuid.UUID(text) where it enters the service, and refuse what does not parse"
            )
        scoped = copy(self)
        scoped._scope = org_id
        if actor is not None:
            scoped._actor = actor
        return scoped

    def by_org(self, org_id: UUID) -> builtins.list[RowT]:
        """Every row of organization ``org_id``, in key order.

        Raises:
            TenantScopeError: the repository is scoped to another organization.
        """
        self._refuse_other_org(org_id, "by_org")
        return self._list((), (self._info.key,), None, org_id)

    def unscoped_platform_list(
        self, *filters: Filter, order_by: OrderBy = (), limit: int | None = None
    ) -> builtins.list[RowT]:
        """``list`` across every organization: for platform operators and jobs, never for a tenant's request.

        The statement asks for the platform reach (``set_config('warp.platform', 'on', true)``, in the same round
        trip; it lasts until the transaction ends). Under row-level security only a member of the platform role
        is granted it: an application login sees no more than its tenant context allows (nothing without one).

        Raises:
            TenantScopeError: the repository is scoped (``for_org``): a scoped repository never reads wider.
        """
        self._refuse_other_org(None, "unscoped_platform_list")
        return self._list(filters, order_by, limit, None, True)

    def unscoped_platform_count(self, *filters: Filter) -> int:
        """``count`` across every organization (unscoped repositories only)."""
        self._refuse_other_org(None, "unscoped_platform_count")
        return self._count(filters, None, True)

    def unscoped_platform_page(
        self, *filters: Filter, after: str | None = None, limit: int = 50, order_by: OrderBy = ()
    ) -> Page[RowT]:
        """``page`` across every organization (unscoped repositories only)."""
        self._refuse_other_org(None, "unscoped_platform_page")
        return self._page(filters, after, limit, order_by, None, True)


def _names(columns: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


def _prefixed(values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in values.items()}


def _chunks(items: Iterator[T], size: int) -> Iterator[builtins.list[T]]:
    while chunk := builtins.list(islice(items, size)):
        yield chunk


def _runs(rows: Sequence[dict[str, Any]]) -> Iterator[tuple[tuple[str, ...], builtins.list[dict[str, Any]]]]:
    """Consecutive rows with the same column set, as (columns, bind parameters); order is kept."""
    start = 0
    while start < len(rows):
        columns = tuple(rows[start])
        end = start
        while end < len(rows) and tuple(rows[end]) == columns:
            end += 1
        yield columns, [_prefixed(r) for r in rows[start:end]]
        start = end
