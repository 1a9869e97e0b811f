"""Least-cost routing: the longest prefix per carrier, dates in effect, cheapest first; decks replaced atomically.

The rate deck is shared reference data: the platform writes it (``add_rates``, ``load_rate_deck`` on the platform
login, committed), the application reads it (``lcr_rates`` on the application login). Each test keeps to a prefix
space of its own, and the carriers' rates go when the test ends (but the large deck's).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import ValidationError

from tests.support import Conn, add_rates, explain, new_org, plan_nodes, platform_work, unique
from warp_models import LcrRateCreate
from warp_repo._core.queries import prefixes
from warp_repo.errors import Conflict, NotFound, QueryError
from warp_repo.repos import LcrRateRepo
from warp_repo.routing import Routing
from warp_repo.routing import _queries as q

DAY = date(2026, 6, 1)

NewCarrier = Callable[[str], UUID]


@pytest.fixture
def carrier(platform_autocommit: Conn) -> Iterator[NewCarrier]:
    """Make committed carriers (organizations); their rates are deleted when the test ends."""
    made: list[UUID] = []

    def make(name: str) -> UUID:
        made.append(new_org(platform_autocommit, name))
        return made[-1]

    yield make
    with platform_work(platform_autocommit):
        LcrRateRepo(platform_autocommit).delete_where(LcrRateRepo.c.carrier_id.in_(made))


def rate(carrier: UUID, prefix: str, price: str, **values: Any) -> LcrRateCreate:
    values.setdefault("effective_date", date(2026, 1, 1))
    return LcrRateCreate(carrier_id=carrier, prefix=prefix, rate=Decimal(price), **values)


def deck_prefix() -> str:
    """A prefix space no other test uses: the deck is shared by every organization."""
    return "9" + str(int(unique()[:8], 16) % 10**5).zfill(5)


def test_each_carrier_offers_its_longest_matching_prefix_cheapest_first(
    conn: Conn, platform_autocommit: Conn, carrier: NewCarrier
) -> None:
    base = deck_prefix()
    a, b, c = (carrier(f"carrier {n}") for n in "abc")
    add_rates(
        platform_autocommit,
        [
            rate(a, base, "0.0100"),
            rate(a, base + "55", "0.0300"),  # a's longest match wins although it is dearer
            rate(b, base + "5", "0.0200"),
            rate(b, base + "4", "0.0001"),  # does not match the number
            rate(c, base[:4], "0.0200", priority=10),  # same price as b, better priority
        ],
    )
    found = Routing(conn).lcr_rates(f"+{base}5512345", DAY)
    assert [(r.carrier_id, r.prefix, r.rate) for r in found] == [
        (c, base[:4], Decimal("0.020000")),
        (b, base + "5", Decimal("0.020000")),
        (a, base + "55", Decimal("0.030000")),
    ]
    assert [r.carrier_id for r in Routing(conn).lcr_rates(f"{base}5512345", DAY, limit=2)] == [c, b]
    assert Routing(conn).lcr_rates(f"+{base[:3]}", DAY) == []


def test_only_rates_in_effect_on_the_date_count(conn: Conn, platform_autocommit: Conn, carrier: NewCarrier) -> None:
    base = deck_prefix()
    one = carrier("carrier")
    add_rates(
        platform_autocommit,
        [
            rate(one, base, "0.05", effective_date=date(2026, 1, 1)),
            rate(one, base, "0.04", effective_date=date(2026, 5, 1), expiry_date=date(2026, 7, 1)),
            rate(one, base + "1", "0.01", effective_date=date(2026, 9, 1)),  # not yet
            rate(one, base + "2", "0.01", effective_date=date(2026, 1, 1), expiry_date=date(2026, 6, 1)),
        ],
    )

    def price(number: str, on: date) -> list[Decimal]:
        return [r.rate for r in Routing(conn).lcr_rates(number, on)]

    assert price(f"+{base}1", date(2026, 4, 30)) == [Decimal("0.050000")]
    assert price(f"+{base}1", date(2026, 5, 1)) == [Decimal("0.040000")], "the newer rate of the same prefix wins"
    assert price(f"+{base}1", date(2026, 7, 1)) == [Decimal("0.050000")], "expiry_date is the first day without"
    assert price(f"+{base}1", date(2026, 9, 1)) == [Decimal("0.010000")], "the longer prefix once in effect"
    assert price(f"+{base}2", date(2026, 5, 31)) == [Decimal("0.010000")]
    assert price(f"+{base}2", DAY) == [Decimal("0.040000")], "expired: the shorter prefix applies again"


def test_the_number_is_validated_and_its_prefix_set_is_every_leading_substring(conn: Conn) -> None:
    assert prefixes("1415") == ["1", "14", "141", "1415"]
    for bad in ("", "+", "+1-415", "1" * 16, "abc"):
        with pytest.raises(ValidationError):
            Routing(conn).lcr_rates(bad, DAY)


def test_a_deck_load_replaces_the_carriers_deck_and_leaves_others_alone(
    conn: Conn, platform_autocommit: Conn, carrier: NewCarrier
) -> None:
    base = deck_prefix()
    mine, other = carrier("carrier"), carrier("other")
    add_rates(platform_autocommit, [rate(mine, base + "1", "0.09"), rate(other, base, "0.02")])
    routing = Routing(conn)
    load = Routing(platform_autocommit).load_rate_deck(
        mine,
        [
            {"prefix": base, "rate": "0.010", "effective_date": date(2026, 1, 1)},
            rate(mine, base + "7", "0.005"),
            LcrRateCreate(prefix=base + "8", rate=Decimal("0.007"), effective_date=date(2026, 1, 1)),
        ],
    )
    assert (load.carrier_id, load.replaced, load.loaded) == (mine, 1, 3)
    assert {(r.carrier_id, r.rate) for r in routing.lcr_rates(f"+{base}12", DAY)} == {
        (mine, Decimal("0.010000")),
        (other, Decimal("0.020000")),
    }
    assert routing.lcr_rates(f"+{base}7", DAY)[0].prefix == base + "7"


def test_a_failed_deck_load_keeps_the_old_deck(conn: Conn, platform_autocommit: Conn, carrier: NewCarrier) -> None:
    base = deck_prefix()
    mine = carrier("carrier")
    routing = Routing(platform_autocommit)
    routing.load_rate_deck(mine, [rate(mine, base, "0.01")])
    duplicate = [rate(mine, base + "1", "0.02"), rate(mine, base + "1", "0.03")]
    with pytest.raises(Conflict):
        routing.load_rate_deck(mine, duplicate)
    bad_row: list[dict[str, Any]] = [
        {"prefix": base + "1", "rate": "0.02", "effective_date": date(2026, 1, 1)},
        {"prefix": "x1"},
    ]
    with pytest.raises(ValidationError) as caught:
        routing.load_rate_deck(mine, bad_row)
    assert caught.value.errors()[0]["loc"][0] == 1, "the bad row is named by its index"
    with pytest.raises(QueryError, match="belongs to carrier"):
        routing.load_rate_deck(mine, [rate(carrier("third"), base, "0.01")])
    with pytest.raises(NotFound):
        routing.load_rate_deck(UUID(int=7), [])
    assert [r.rate for r in Routing(conn).lcr_rates(f"+{base}1", DAY)] == [Decimal("0.010000")]


def test_readers_see_the_old_deck_or_the_new_one_never_a_mix(domain_url: str, platform_autocommit: Conn) -> None:
    base = deck_prefix()
    deck = new_org(platform_autocommit, "carrier")  # its deck stays: 60 001 prefixes of 13 digits
    size = 60_000
    old = [{"prefix": f"{base}{i:06d}", "rate": "0.01", "effective_date": date(2026, 1, 1)} for i in range(size)]
    Routing(platform_autocommit).load_rate_deck(deck, old)
    seen: Counter[tuple[int, int]] = Counter()
    loading = threading.Event()
    done = threading.Event()

    def read() -> None:
        with psycopg.connect(domain_url, autocommit=True) as reader:
            while not done.is_set():
                row = reader.execute(
                    "SELECT count(*), count(*) FILTER (WHERE rate = 0.02) FROM lcr_rates WHERE carrier_id = %s",
                    [deck],
                ).fetchone()
                assert row is not None
                seen[(row[0], row[1])] += 1
                if loading.is_set():
                    time.sleep(0.001)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        new = (
            {"prefix": f"{base}{i:07d}", "rate": "0.02", "effective_date": date(2026, 1, 1)} for i in range(size + 1)
        )
        loading.set()
        load = Routing(platform_autocommit).load_rate_deck(deck, new)
        time.sleep(0.05)
    finally:
        done.set()
        thread.join()
    assert (load.replaced, load.loaded) == (size, size + 1)
    assert set(seen) <= {(size, 0), (size + 1, size + 1)}, seen
    assert seen[(size + 1, size + 1)] > 0
    with psycopg.connect(domain_url) as check:
        assert Routing(check).lcr_rates(f"+{base}0000001", DAY)[0].rate == Decimal("0.020000")


def test_lcr_uses_the_prefix_index_on_a_million_rates(admin_conn: Conn) -> None:
    conn = admin_conn  # emptying a table, a million rows in SQL and ANALYZE are the owner's
    carriers = [new_org(conn, f"carrier {i}") for i in range(3)]
    # Emptied in this transaction, the table gets new files: the rollback discards them whole, so the million rows'
    # pages never have to be written back to disk.
    conn.execute("TRUNCATE lcr_rates")
    # A million rates of 200 000 seven-digit prefixes, five effective dates each, no carrier (no key checks).
    conn.execute(
        """
        INSERT INTO lcr_rates (id, carrier_id, prefix, rate, effective_date, priority)
        SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, NULL,
               (2000000 + g / 5)::text, ((g::bigint * 7919) % 100000) / 1000000.0,
               DATE '2025-01-01' + (g % 5) * 30, 100
        FROM generate_series(0, 999999) AS g
        """
    )
    LcrRateRepo(conn).insert_many(
        [
            rate(carriers[0], "2", "0.0500"),
            rate(carriers[1], "2000", "0.0050"),
            rate(carriers[2], "2000123", "0.0070"),
        ]
    )
    conn.execute("ANALYZE lcr_rates")
    found = Routing(conn).lcr_rates("+20001234567", DAY)
    by_carrier = {r.carrier_id: r for r in found}
    assert len(found) == len(by_carrier) == 4
    assert [(r.carrier_id, r.prefix) for r in found if r.carrier_id is not None] == [
        (carriers[1], "2000"),
        (carriers[2], "2000123"),
        (carriers[0], "2"),
    ]
    filler = by_carrier[None]
    assert (filler.prefix, filler.effective_date) == ("2000123", date(2025, 5, 1)), "the latest of five dates"
    assert [r.rate for r in found] == sorted(r.rate for r in found)
    params = {"prefixes": prefixes("20001234567"), "on": DAY, "limit": None}
    for generic in (False, True):
        plan = explain(conn, q.LCR_RATES, params, generic=generic, types={"prefixes": "text[]", "limit": "bigint"})
        scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == "lcr_rates"]
        assert scans and all(n["Node Type"] != "Seq Scan" for n in scans), scans
        assert any(n.get("Index Name") == "lcr_rates_prefix_effective_date_idx" for n in plan_nodes(plan)), plan
