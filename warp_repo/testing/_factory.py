"""The factory machinery: building valid create models from column declarations, planning parents, inserting.

A factory makes one table's create model. ``build`` is pure: a validated ``XCreate`` and nothing else. ``create``
first *plans*: the row and every parent it needs that was not given (an organization, a trunk of that
organization ...), each with its id chosen here, parents first; the plan then runs through the repositories of
``warp_repo.repos``, scoped to each row's organization. ``batch`` plans many rows sharing their parents;
``copy`` streams rows through ``COPY`` in chunks, for millions of them.

Values come from the column declarations where a declaration says enough: ``Literal`` columns draw from their
declared set (weights may only name declared values), strings are cut to their ``VARCHAR`` length and decimals
rounded to their ``DECIMAL`` scale. Values a caller passes are used exactly as given and validated like any.
"""

from __future__ import annotations

import itertools
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast, get_args
from uuid import UUID

from warp_models import TABLES, Create, OrganizationCreate, PhoneNumberCreate, Row, SipTrunkCreate
from warp_models._columns import Numeric, OrgScoped, ParentScoped, Varchar, split_optional

if TYPE_CHECKING:
    from random import Random

    from warp_repo.testing._set import Factories

RowT = TypeVar("RowT", bound=Row)
CreateT = TypeVar("CreateT", bound=Create)

_TABLE_ORDER = {name: index for index, name in enumerate(TABLES)}


class FactoryError(TypeError):
    """A factory was called with something it cannot use (an unknown column, a connection it does not have)."""


# --- Declarations ------------------------------------------------------------------------------------------------


@cache
def literal_values(row: type[Row], column: str) -> tuple[str, ...]:
    """The values a ``Literal`` column accepts, as declared on ``row``."""
    inner, _ = split_optional(row.column(column).python_type)
    values = get_args(inner) if typing.get_origin(inner) is typing.Literal else ()
    if not values:
        raise FactoryError(f"{row.__table_spec__.name}.{column} is not declared as a Literal")
    return tuple(str(v) for v in values)


def check_weights(row: type[Row], column: str, weights: Mapping[str, float]) -> None:
    """Refuse weights naming a value that ``row.column`` does not declare (a renamed status, say)."""
    unknown = set(weights) - set(literal_values(row, column))
    if unknown:
        declared = ", ".join(literal_values(row, column))
        raise FactoryError(f"{row.__table_spec__.name}.{column}: {sorted(unknown)} not among the declared {declared}")


@dataclass(frozen=True)
class Limits:
    """What the declarations of one table say about generated values."""

    lengths: dict[str, int]
    """``VARCHAR(n)`` columns: the longest string each takes."""
    quanta: dict[str, Decimal]
    """``DECIMAL(p, s)`` columns: ``10 ** -s``, what each rounds to."""
    nulls: dict[str, None]
    """Nullable columns without a server default: left out or ``None``, they store ``NULL`` alike."""

    @classmethod
    @cache
    def of(cls, row: type[Row]) -> Limits:
        """The limits of ``row``'s table (cached)."""
        lengths: dict[str, int] = {}
        quanta: dict[str, Decimal] = {}
        nulls: dict[str, None] = {}
        for column in row.__columns__:
            if isinstance(column.sql_type, Varchar):
                lengths[column.name] = column.sql_type.length
            elif isinstance(column.sql_type, Numeric):
                quanta[column.name] = Decimal(1).scaleb(-column.sql_type.scale)
            if column.nullable and not column.has_server_default:
                nulls[column.name] = None
        return cls(lengths, quanta, nulls)


def fit(row: type[Row], values: dict[str, Any]) -> dict[str, Any]:
    """Generated values fitted to the declarations.

    Strings are cut to their ``VARCHAR`` length and decimals rounded to their ``DECIMAL`` scale; nullable columns
    without a server default that were not generated are set to ``None``, so every row of a table has the same
    columns and batches and ``COPY`` runs are not split by column set.
    """
    limits = Limits.of(row)
    for name, length in limits.lengths.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > length:
            values[name] = value[:length].rstrip()
    for name, quantum in limits.quanta.items():
        value = values.get(name)
        if isinstance(value, Decimal):
            values[name] = value.quantize(quantum, rounding=ROUND_HALF_UP)
    return limits.nulls | values


# --- Plans -------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Planned:
    """One row of a plan: its create model, the organization it is inserted for, whether the caller asked for it."""

    create: Create
    table: str
    scope: UUID | None
    item: bool = False


@dataclass
class Plan:
    """The rows ``create`` will insert: parents before children, each with the organization it belongs to."""

    entries: list[Planned] = field(default_factory=list)

    def add(self, create: Create, table: str, scope: UUID | None) -> Planned:
        """Add a row after everything planned so far."""
        planned = Planned(create, table, scope)
        self.entries.append(planned)
        return planned

    def groups(self) -> Iterator[list[Planned]]:
        """Runs of rows of one table and one organization, tables in foreign-key order, plan order kept within."""
        ordered = sorted(self.entries, key=lambda p: _TABLE_ORDER[p.table])
        run: list[Planned] = []
        for planned in ordered:
            if run and (run[0].table, run[0].scope) != (planned.table, planned.scope):
                yield run
                run = []
            run.append(planned)
        if run:
            yield run


# --- Factories ---------------------------------------------------------------------------------------------------


class Factory(Generic[RowT, CreateT]):
    """Makes rows of one table: ``build`` (no database), ``create``/``batch``/``copy`` (through the repositories).

    Keyword arguments are column values and win over generated ones; a parent given by its id
    (``org_id=org.id``) is used as it is, a parent not given is made (``create``) or left to a fresh id or
    ``NULL`` (``build``, which never invents rows). ``create`` remembers what it inserted, so later rows of the
    same organization reuse its trunks and numbers instead of making new ones.
    """

    row: ClassVar[type[Row]]
    shape: ClassVar[type[Create]]
    table: ClassVar[str]
    context: ClassVar[frozenset[str]] = frozenset()
    """Keywords that are not columns but steer the parents (``org_id`` of a trunk's ACL entry)."""
    weights: ClassVar[dict[str, dict[str, float]]] = {}
    """Relative frequency of the values of ``Literal`` columns; checked against the declarations."""
    _draws: ClassVar[dict[str, tuple[list[str], list[float]]]] = {}
    parent: ClassVar[bool] = False
    """Whether later rows reuse this table's rows as parents, so the set remembers the ones it inserts."""

    def __init__(self, factories: Factories) -> None:
        self._set = factories
        self._sequence = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        shape = cls.__dict__.get("shape")
        if shape is None:
            return
        cls.row = shape.__row__
        cls.table = cls.row.__table_spec__.name
        cls._draws = {}
        for column, weights in cls.weights.items():
            check_weights(cls.row, column, weights)
            values = list(weights)
            cls._draws[column] = (values, list(itertools.accumulate(weights[v] for v in values)))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.table} built={self._sequence}>"

    @property
    def random(self) -> Random:
        """The factory set's one random generator."""
        random: Random = self._set.random
        return random

    @property
    def sequence(self) -> int:
        """How many rows this factory has built so far (the next row's sequence number)."""
        return self._sequence

    # --- public API ----------------------------------------------------------------------------------------------

    def build(self, **overrides: Any) -> CreateT:
        """A valid create model; nothing is stored and no parent row is made."""
        return self._make(overrides, None)

    def build_batch(self, count: int, **overrides: Any) -> list[CreateT]:
        """``count`` create models built with the same keyword arguments."""
        self._check_keywords(overrides)
        return [self._make(overrides, None, checked=True) for _ in range(count)]

    def graph(self, **overrides: Any) -> list[Create]:
        """What ``create`` would insert, parents first and this table's row last, without inserting anything."""
        plan = Plan()
        self._make(overrides, plan)
        return [p.create for group in plan.groups() for p in group]

    def create(self, **overrides: Any) -> RowT:
        """Insert one row (and the parents it needs) through the bound connection; the stored row."""
        plan = Plan()
        self._make_item(overrides, plan)
        return cast(RowT, self._set._run(plan)[0])

    async def acreate(self, **overrides: Any) -> RowT:
        """``create`` through the bound async connection."""
        plan = Plan()
        self._make_item(overrides, plan)
        return cast(RowT, (await self._set._arun(plan))[0])

    def batch(self, count: int, **overrides: Any) -> list[RowT]:
        """Insert ``count`` rows sharing their parents, in pipelined batches; the stored rows, in order."""
        plan = Plan()
        pinned = self._pin(overrides, plan)
        for _ in range(count):
            self._make_item(pinned, plan)
        return cast(list[RowT], self._set._run(plan))

    async def abatch(self, count: int, **overrides: Any) -> list[RowT]:
        """``batch`` through the bound async connection."""
        plan = Plan()
        pinned = self._pin(overrides, plan)
        for _ in range(count):
            self._make_item(pinned, plan)
        return cast(list[RowT], await self._set._arun(plan))

    def copy(self, count: int, *, chunk: int = 10_000, **overrides: Any) -> int:
        """Stream ``count`` rows into the table with ``COPY``, ``chunk`` at a time; how many were written.

        Rows are built as they are sent, so memory stays flat for millions of them; parents are inserted
        before each chunk. Nothing is returned per row: use ``batch`` when the stored rows are needed.
        """
        self._check_keywords(overrides)
        plan = Plan()
        pinned = self._pin(overrides, plan)
        written = 0
        while written < count:
            for _ in range(min(chunk, count - written)):
                self._make_item(pinned, plan, checked=True)
            written += self._set._copy(plan)
            plan = Plan()
        return written

    async def acopy(self, count: int, *, chunk: int = 10_000, **overrides: Any) -> int:
        """``copy`` through the bound async connection."""
        plan = Plan()
        pinned = self._pin(overrides, plan)
        written = 0
        while written < count:
            for _ in range(min(chunk, count - written)):
                self._make_item(pinned, plan)
            written += await self._set._acopy(plan)
            plan = Plan()
        return written

    def add(self, plan: Plan, **overrides: Any) -> CreateT:
        """Build a row into ``plan`` (with the parents it needs) for ``Factories.insert_plan``/``copy_plan``."""
        return self._make_item(overrides, plan)

    # --- machinery -----------------------------------------------------------------------------------------------

    def _make_item(self, overrides: Mapping[str, Any], plan: Plan, *, checked: bool = False) -> CreateT:
        made = self._make(overrides, plan, checked=checked)
        plan.entries[-1].item = True
        return made

    def _make(self, overrides: Mapping[str, Any], plan: Plan | None, *, checked: bool = False) -> CreateT:
        if not checked:
            self._check_keywords(overrides)
        n = self._sequence
        self._sequence += 1
        given = dict(overrides)
        values = fit(self.row, self._values(n, given, plan))
        values.update({k: v for k, v in given.items() if k not in self.context})
        made = cast(CreateT, self.shape.model_validate(values))
        if plan is not None:
            scope = self._scope(made, given)
            plan.add(made, self.table, scope)
            if self.parent:
                self._set._known.remember(self.table, made, scope)
        return made

    def _check_keywords(self, overrides: Mapping[str, Any]) -> None:
        unknown = set(overrides) - set(self.shape.model_fields) - self.context
        if unknown:
            allowed = ", ".join(sorted({*self.shape.model_fields, *self.context}))
            raise FactoryError(f"{type(self).__name__}: no column {', '.join(sorted(unknown))}; columns: {allowed}")

    def _pin(self, overrides: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
        """Keyword arguments with the organization fixed, so a batch's rows share one (made once if not given)."""
        pinned = dict(overrides)
        if "org_id" in self.shape.model_fields or "org_id" in self.context:
            pinned.setdefault("org_id", self._org(pinned, plan))
        return pinned

    def _scope(self, made: Create, given: Mapping[str, Any]) -> UUID | None:
        """The organization the row is inserted for (``None``: shared data, or a parent of unknown owner)."""
        tenant = self.row.__table_spec__.tenant
        if isinstance(tenant, OrgScoped):
            return cast(UUID | None, getattr(made, tenant.column))
        if isinstance(tenant, ParentScoped):
            parent = getattr(made, tenant.column)
            return given.get("org_id") or (self._set._known.org_of.get(parent) if parent is not None else None)
        return None

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        """Generated values of row number ``n``; ``given`` holds the caller's keywords (read, never changed)."""
        raise NotImplementedError

    # --- helpers for the tables' factories -------------------------------------------------------------------

    def pick(self, column: str) -> Any:
        """A value of ``Literal`` column ``column``, drawn by the class's weights (uniformly without any)."""
        draw = self._draws.get(column)
        if draw is None:
            return self.random.choice(literal_values(self.row, column))
        values, cumulative = draw
        return self.random.choices(values, cum_weights=cumulative)[0]

    def _org(self, given: Mapping[str, Any], plan: Plan | None) -> UUID:
        """The row's organization: given, else a new one (planned) or, when only building, a fresh id."""
        org = given.get("org_id")
        if org is not None:
            return cast(UUID, org)
        if plan is not None:
            return require_id(self._set.organization._make({}, plan))
        return self._set.uuid()


def require_id(made: Create) -> UUID:
    """The id a factory gave a row (every factory sets ``id`` on tables that have one)."""
    value = getattr(made, "id", None)
    if not isinstance(value, UUID):
        raise FactoryError(f"{type(made).__name__} has no id")
    return value


@dataclass
class Known:
    """What a factory set has planned for the database, so later rows can reuse parents of their organization."""

    org_of: dict[UUID, UUID] = field(default_factory=dict)
    """A row's id (trunk, number, user ...) to its organization."""
    by_org: dict[tuple[str, UUID], list[Create]] = field(default_factory=dict)
    by_id: dict[UUID, Create] = field(default_factory=dict)
    carriers: list[UUID] = field(default_factory=list)
    """Organizations of tier ``wholesale``: the carriers of the rate deck."""

    def remember(self, table: str, made: Create, org: UUID | None) -> None:
        """Note a planned row."""
        key = getattr(made, "id", None)
        if isinstance(made, OrganizationCreate) and made.tier == "wholesale" and made.id is not None:
            self.carriers.append(made.id)
        if isinstance(key, UUID):
            self.by_id[key] = made
            if org is not None:
                self.org_of[key] = org
        if org is not None:
            self.by_org.setdefault((table, org), []).append(made)

    def numbers(self, org: UUID | None) -> list[PhoneNumberCreate]:
        """The phone numbers planned for ``org``."""
        return [made for made in self.of("phone_numbers", org) if isinstance(made, PhoneNumberCreate)]

    def trunk(self, key: UUID) -> SipTrunkCreate | None:
        """The planned trunk ``key``, if this set planned it."""
        made = self.by_id.get(key)
        return made if isinstance(made, SipTrunkCreate) else None

    def organization(self, key: UUID) -> OrganizationCreate | None:
        """The planned organization ``key``, if this set planned it."""
        made = self.by_id.get(key)
        return made if isinstance(made, OrganizationCreate) else None

    def number(self, key: UUID) -> PhoneNumberCreate | None:
        """The planned phone number ``key``, if this set planned it."""
        made = self.by_id.get(key)
        return made if isinstance(made, PhoneNumberCreate) else None

    def of(self, table: str, org: UUID | None) -> list[Create]:
        """The rows of ``table`` planned for ``org``, oldest first."""
        return self.by_org.get((table, org), []) if org is not None else []

    def ids(self, table: str, org: UUID | None) -> list[UUID]:
        """The ids of the rows of ``table`` planned for ``org``."""
        return [require_id(made) for made in self.of(table, org)]
