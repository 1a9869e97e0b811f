"""Extensions and dial plans: resolving a dialed string, forwarding; statements and result types, no I/O."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, LiteralString

from psycopg.rows import RowMaker

from warp_models.extensions import CallClass, DialAction, DialPlan, Extension, ForwardRule
from warp_repo._core.queries import columns
from warp_repo.routing._queries import time_condition_applies, transform

ForwardCondition = Literal["busy", "no_answer", "unregistered"]

_EXTENSION = columns(Extension, "e")
_RULE = columns(DialPlan, "d")

# One round trip: the extension and the rules of its context that can match the dialed string. Exact and prefix
# rules are found by equality (idx_dial_plans_lookup narrows to the context); pattern rules are all returned and
# matched in Python, where the model validated them (PostgreSQL's regular expressions differ from Python's).
CANDIDATES: LiteralString = (
    "SELECT to_jsonb(e) AS extension, (SELECT coalesce(jsonb_agg(to_jsonb(d)"
    "   ORDER BY d.priority, length(d.match_pattern) DESC, d.name), '[]') FROM dial_plans d"
    " WHERE d.org_id = e.org_id AND d.context = e.context AND d.enabled"
    "   AND ((d.match_type = 'exact' AND d.match_pattern = ANY(%(exact)s))"
    "     OR (d.match_type = 'prefix' AND d.match_pattern = ANY(%(prefixes)s))"
    "     OR d.match_type = 'pattern')) AS rules"
    " FROM extensions e WHERE e.id = %(extension)s"
)

BY_ID: LiteralString = "SELECT " + _EXTENSION + " FROM extensions e WHERE e.id = %(extension)s"


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def matches(rule: DialPlan, dialed: str) -> bool:
    """Whether the rule matches the dialed string: equal (exact), starts with (prefix), or the regex finds it."""
    if rule.match_type == "pattern":
        compiled = _compiled(rule.match_pattern)
        return compiled is not None and compiled.search(dialed) is not None
    if rule.match_type == "exact":
        return dialed == rule.match_pattern
    return dialed.startswith(rule.match_pattern)


def lookup_keys(dialed: str) -> tuple[list[str], list[str]]:
    """The values exact and prefix rules may hold for ``dialed``: itself, and each of its leading substrings."""
    return [dialed], [dialed[:n] for n in range(1, len(dialed) + 1)]


@dataclass(frozen=True)
class DialResolution:
    """What a dialed string does when an extension dials it.

    Attributes:
        extension: the calling extension.
        dialed: the string as dialed.
        rules: the rules that ran, in order (the first match, and the next ones while ``continue_on_match``).
        destination: the dialed string after the last rule's transform (``None`` when no rule matched).
        actions: the actions of the rules that ran, in order.
        call_class: the call class of the first rule that ran.
        refused_class: a matching rule's call class that the extension may not make: the call is refused and
            nothing runs. ``None`` when allowed.
    """

    extension: Extension
    dialed: str
    rules: tuple[DialPlan, ...]
    destination: str | None
    actions: tuple[DialAction, ...]
    call_class: CallClass | None
    refused_class: CallClass | None = None

    @property
    def matched(self) -> bool:
        """Whether a rule matched and the extension may make the call."""
        return bool(self.rules) and self.refused_class is None


def resolve(extension: Extension, rules: Sequence[DialPlan], dialed: str, at: datetime) -> DialResolution:
    """Run the rules of the extension's context, in their order, on ``dialed`` at instant ``at``.

    A rule runs when it matches the dialed string and its time condition holds at ``at`` in its zone. The first
    such rule decides the call class: if the extension may not make it, the call is refused. Its transform gives
    the destination and its actions run; with ``continue_on_match`` the next rule that runs (matched against the
    string as dialed, as FreeSWITCH's ``continue="true"`` does) adds its actions and transforms the destination
    further, until one without it. A later rule of a class the extension may not make is passed over.
    """
    ran: list[DialPlan] = []
    actions: list[DialAction] = []
    destination = dialed
    for rule in rules:
        if not matches(rule, dialed):
            continue
        if not time_condition_applies(rule.time_condition, at):
            continue
        if not ran and rule.call_class not in extension.allowed_call_classes:
            return DialResolution(extension, dialed, (rule,), None, (), rule.call_class, rule.call_class)
        if ran and rule.call_class not in extension.allowed_call_classes:
            continue
        ran.append(rule)
        destination = transform(destination, rule.transform_rules)
        actions.extend(rule.actions)
        if not rule.continue_on_match:
            break
    if not ran:
        return DialResolution(extension, dialed, (), None, (), None)
    return DialResolution(extension, dialed, tuple(ran), destination, tuple(actions), ran[0].call_class)


def forward_destination(extension: Extension, condition: ForwardCondition | None) -> str | None:
    """Where a call to the extension is forwarded: ``always`` first, then the condition's rule; ``None``: ring it.

    ``condition`` is what happened (``busy``, ``no_answer``, ``unregistered``), or ``None`` before ringing. A
    rule that is enabled without a destination forwards nowhere.
    """
    forwarding = extension.forwarding
    rules: list[ForwardRule | None] = [forwarding.always]
    if condition is not None:
        rules.append(getattr(forwarding, condition))
    for rule in rules:
        if rule is not None and rule.enabled and rule.destination:
            return rule.destination
    return None


def candidate_rows(cursor: Any) -> RowMaker[tuple[Extension, list[DialPlan]]]:
    """Row factory of ``CANDIDATES``."""

    def make(values: Sequence[Any]) -> tuple[Extension, list[DialPlan]]:
        extension = Extension.from_db(_from_json(Extension, values[0]))
        return extension, [DialPlan.from_db(_from_json(DialPlan, rule)) for rule in values[1]]

    return make


def _from_json(row: type[Any], document: dict[str, Any]) -> dict[str, Any]:
    return {c.name: document.get(c.name) for c in row.__columns__}
