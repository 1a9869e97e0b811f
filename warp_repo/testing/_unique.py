"""Values that never repeat: each is a one-to-one function of a sequence number, never a random retry.

A factory counts what it builds; the count ``n`` goes through a permutation (so consecutive rows do not look
consecutive) into a value space large enough for the count. Two different ``n`` give two different values for
as long as the space lasts, whatever else is random about the row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random
from typing import Final

from warp_repo.testing._data import COUNTRY_PLANS, NXX_CODES, RATE_CENTERS, TOLL_FREE_NPAS, RateCenter


class SpaceExhausted(ValueError):
    """A factory asked for more distinct values than a value space holds."""


@dataclass(frozen=True, slots=True)
class Permutation:
    """A bijection of ``range(size)``: ``i -> (a * i + c) % size`` with ``a`` prime to ``size``."""

    size: int
    a: int
    c: int

    @classmethod
    def random(cls, size: int, rng: Random) -> Permutation:
        """A permutation of ``range(size)`` chosen by ``rng``."""
        if size == 1:
            return cls(1, 1, 0)
        while True:
            a = rng.randrange(1, size)
            if math.gcd(a, size) == 1:
                return cls(size, a, rng.randrange(size))

    def __call__(self, i: int) -> int:
        if not 0 <= i < self.size:
            raise SpaceExhausted(f"index {i} is outside a space of {self.size} values")
        return (self.a * i + self.c) % self.size


_LINES: Final = 10_000


@dataclass(frozen=True, slots=True)
class NanpBlock:
    """An NPA-NXX: ten thousand numbers homed in one rate center (``None`` for toll-free)."""

    npa: str
    nxx: str
    rate_center: RateCenter | None


class NanpSpace:
    """Distinct North American numbers of one state (or toll-free): ``number(k)`` differs for every ``k``.

    The ``k``-th number takes block ``k mod B`` (permuted) and line ``k div B`` (permuted), so numbers spread
    over every NPA-NXX of the state before any block gets a second one.
    """

    def __init__(self, state: str | None, rng: Random) -> None:
        if state is None:
            self._blocks = [NanpBlock(npa, nxx, None) for npa in TOLL_FREE_NPAS for nxx in NXX_CODES]
        else:
            centers = [rc for rc in RATE_CENTERS if rc.state == state]
            if not centers:
                raise ValueError(f"no rate center is known in state {state!r}")
            self._blocks = [NanpBlock(npa, nxx, rc) for rc in centers for npa in rc.npas for nxx in NXX_CODES]
        self._block = Permutation.random(len(self._blocks), rng)
        self._line = Permutation.random(_LINES, rng)

    @property
    def size(self) -> int:
        """How many distinct numbers the space holds."""
        return len(self._blocks) * _LINES

    def number(self, k: int) -> tuple[str, NanpBlock]:
        """The ``k``-th number in E.164 form and its block."""
        if k >= self.size:
            raise SpaceExhausted(f"only {self.size} distinct numbers are available here")
        block = self._blocks[self._block(k % len(self._blocks))]
        line = self._line(k // len(self._blocks))
        return f"+1{block.npa}{block.nxx}{line:04d}", block


class CountrySpace:
    """Distinct numbers of one country other than the US, over its plan's ranges."""

    def __init__(self, iso: str, rng: Random) -> None:
        self.plan = COUNTRY_PLANS[iso]
        self._ranges = [(lead, Permutation.random(10**rest, rng), rest) for lead, rest in self.plan.ranges]

    def number(self, k: int) -> str:
        """The ``k``-th number in E.164 form."""
        lead, perm, rest = self._ranges[k % len(self._ranges)]
        local = perm(k // len(self._ranges))
        return f"+{self.plan.calling_code}{lead}{local:0{rest}d}"


def tag(n: int, width: int = 6) -> str:
    """``n`` in base 36, zero-padded to ``width`` (wider when ``n`` needs it): a suffix that keeps values apart.

    Appended after a separator that the encoding cannot contain, it makes ``f"{anything}-{tag(n)}"`` one-to-one
    in ``n``: the text after the last separator gives ``n`` back.
    """
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n or not out:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")
