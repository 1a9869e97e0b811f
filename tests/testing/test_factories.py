"""Built rows: 10 000 of every table validate, never collide on a unique key and insert without a constraint error."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr, ValidationError

from warp_models import TABLES, Create, Invoice, InvoiceCreate, LineItem, Organization, Row, SipTrunkCreate
from warp_repo.repos import REPOSITORIES
from warp_repo.testing import Factories, FactoryError, sms_segments
from warp_repo.testing._data import RATE_CENTERS, TOLL_FREE_NPAS
from warp_repo.testing._factory import Factory, fit, literal_values

N = 10_000
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CENTER_OF_NPA = {npa: rc for rc in RATE_CENTERS for npa in rc.npas}

Built = dict[str, list[Any]]


@pytest.fixture(scope="module")
def built() -> Built:
    """10 000 rows of every table, built (never inserted) as one consistent graph: children name their parents."""
    f = Factories(seed=11, now=NOW)
    orgs = f.organization.build_batch(N)
    ids = [org.id for org in orgs]
    users = [f.user.build(org_id=org) for org in ids]
    keys = [f.api_key.build(org_id=org, user_id=user.id) for org, user in zip(ids, users, strict=True)]
    trunks = [f.trunk.build(org_id=org) for org in ids]
    numbers = [f.phone_number.build(org_id=org, trunk_id=t.id) for org, t in zip(ids, trunks, strict=True)]
    extensions = [f.extension.build(org_id=org, user_id=u.id) for org, u in zip(ids, users, strict=True)]
    configurations = [f.device_configuration.build(org_id=org) for org in ids]
    devices = [
        f.device.build(org_id=e.org_id, user_id=e.user_id, primary_extension_id=e.id, configuration_id=c.id)
        for e, c in zip(extensions, configurations, strict=True)
    ]
    boxes = [f.voicemail_box.build(org_id=e.org_id, extension_id=e.id, user_id=e.user_id) for e in extensions]
    voicemails = [f.voicemail_message.build(org_id=b.org_id, box_id=b.id) for b in boxes]
    return {
        "organizations": orgs,
        "organization_settings": [f.organization_settings.build(org_id=org) for org in ids],
        "users": users,
        "api_keys": keys,
        "audit_logs": [f.audit_log.build(org_id=k.org_id, api_key_id=k.id) for k in keys],
        "sip_trunks": trunks,
        "trunk_registrations": [f.trunk_registration.build(trunk_id=t.id) for t in trunks],
        # Ten entries on each of a thousand trunks: (trunk_id, ip_address) must still never repeat.
        "trunk_acl": [f.trunk_acl.build(trunk_id=trunks[i % 1_000].id) for i in range(N)],
        "phone_numbers": numbers,
        "e911_addresses": [f.e911_address.build(phone_number_id=n.id) for n in numbers],
        "routing_rules": [f.routing_rule.build(org_id=t.org_id, trunk_id=t.id) for t in trunks],
        # Ten carriers quote the whole deck: (carrier_id, prefix, effective_date) must still never repeat.
        "lcr_rates": [f.lcr_rate.build(carrier_id=ids[i % 10]) for i in range(N)],
        "cdrs": [f.cdr.build(org_id=t.org_id, trunk_id=t.id) for t in trunks],
        "billing_accounts": [f.billing_account.build(org_id=org) for org in ids],
        "usage_records": [f.usage_record.build(org_id=org) for org in ids],
        "invoices": [f.invoice.build(org_id=org) for org in ids],
        "messages": [f.message.build(org_id=org) for org in ids],
        "messaging_campaigns": [f.messaging_campaign.build(org_id=org) for org in ids],
        "extensions": extensions,
        "dial_plans": [f.dial_plan.build(org_id=org) for org in ids],
        "device_configurations": configurations,
        "firmware_versions": f.firmware_version.build_batch(N),
        "devices": devices,
        "device_health_metrics": [f.device_health_metric.build(org_id=d.org_id, device_id=d.id) for d in devices],
        "voicemail_boxes": boxes,
        "voicemail_messages": voicemails,
        "voicemail_transcriptions": [
            f.voicemail_transcription.build(org_id=m.org_id, message_id=m.id) for m in voicemails
        ],
        "permission_matrices": [f.permission_matrix.build(org_id=org) for org in ids],
        "api_audit_logs": [f.api_audit_log.build(org_id=k.org_id, api_key_id=k.id) for k in keys],
    }


def declared_keys(row: type[Row]) -> list[tuple[str, ...]]:
    """Every unique key as the model declares it (stricter than stored: call_id alone, not with start_time)."""
    spec = row.__table_spec__
    primary = spec.primary_key or tuple(c.name for c in row.__columns__ if c.col.primary_key)
    return [primary, *((c.name,) for c in row.__columns__ if c.col.unique), *spec.unique]


def plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_every_table_has_a_factory_building_its_create_model(built: Built) -> None:
    factories = Factories(seed=0).factories
    assert list(factories) == list(TABLES)
    assert set(built) == set(TABLES)
    for table, rows in built.items():
        shape = factories[table].shape
        assert shape.__row__ is TABLES[table]
        assert len(rows) == N
        assert all(type(row) is shape for row in rows)


def test_built_rows_validate_again_from_their_own_values(built: Built) -> None:
    for rows in built.values():
        for row in rows[:: N // 300]:
            again = type(row).model_validate(row.model_dump())
            assert again.model_dump() == row.model_dump()


@pytest.mark.parametrize("table", list(TABLES))
def test_unique_keys_never_collide_across_10_000_rows(built: Built, table: str) -> None:
    rows = built[table]
    for key in declared_keys(TABLES[table]):
        values = [tuple(plain(getattr(row, name)) for name in key) for row in rows]
        present = [v for v in values if None not in v]  # NULLs never collide
        assert len(set(present)) == len(present), f"{table} {key} repeats"
        if key != ("phone_number_id",):
            assert len(present) > N // 2, f"{table} {key} is mostly NULL: the test would prove nothing"


def test_rows_of_every_table_insert_without_a_constraint_error(built: Built, admin: psycopg.Connection[Any]) -> None:
    for table in TABLES:
        written = REPOSITORIES[table](admin).copy_in(built[table])
        assert written == N, table
    for table in TABLES:
        found = admin.execute(f"SELECT count(*) FROM {table}").fetchone()
        # audit_logs also holds one ``copy`` entry per copy_in of every other table.
        assert found == (N + (len(TABLES) - 1 if table == "audit_logs" else 0),), table


def test_generated_values_follow_the_column_declarations(built: Built) -> None:
    for table, rows in built.items():
        row_model = TABLES[table]
        literal_columns = {
            c.name: literal_values(row_model, c.name) for c in row_model.__columns__ if _is_literal(row_model, c.name)
        }
        for name, allowed in literal_columns.items():
            seen = {getattr(row, name) for row in rows} - {None}
            assert seen <= set(allowed), (table, name)
            assert len(seen) > 1 or len(allowed) == 1 or name in ("number_type",), (table, name, seen)


def _is_literal(row: type[Row], name: str) -> bool:
    try:
        literal_values(row, name)
    except FactoryError:
        return False
    return True


def test_invoice_lines_subtotal_tax_and_total_add_up(built: Built) -> None:
    for invoice in built["invoices"]:
        items = invoice.line_items or []
        assert items
        assert sum((i.amount for i in items), Decimal(0)) == invoice.subtotal
        assert invoice.subtotal + invoice.tax_amount == invoice.total
        assert invoice.period_start.day == 1 and invoice.period_end >= invoice.period_start
        assert (invoice.paid_date is not None) == (invoice.status == "paid")
    assert len({re.sub(r"-\d+$", "", i.invoice_number) for i in built["invoices"]}) > 1


def test_invoice_totals_follow_what_the_caller_gives() -> None:
    f = Factories(seed=3, now=NOW)
    items = [
        LineItem(description="Minutes", quantity=Decimal(1000), unit_price=Decimal("0.0075"), amount=Decimal("7.50")),
        LineItem(description="Numbers", quantity=Decimal(3), unit_price=Decimal("1.00"), amount=Decimal("3.00")),
    ]
    given_items = f.invoice.build(line_items=items, tax_amount=Decimal("1.05"))
    assert (given_items.subtotal, given_items.total) == (Decimal("10.50"), Decimal("11.55"))
    given_subtotal = f.invoice.build(subtotal=Decimal("1234.56"))
    assert sum(i.amount for i in given_subtotal.line_items or []) == Decimal("1234.56")
    given_total = f.invoice.build(total=Decimal("500.00"))
    assert given_total.total == Decimal("500.00")
    assert given_total.subtotal + (given_total.tax_amount or 0) == Decimal("500.00")
    assert Invoice.__name__ == "Invoice"
    with pytest.raises(ValidationError, match="should be subtotal"):
        f.invoice.build(subtotal=Decimal(10), tax_amount=Decimal(1), total=Decimal(20))


def test_calls_are_consistent_in_time_quality_and_price(built: Built) -> None:
    answered = 0
    for cdr in built["cdrs"]:
        assert cdr.end_time is not None and cdr.end_time >= cdr.start_time
        assert cdr.duration == (cdr.end_time - cdr.start_time).total_seconds()
        assert NOW - timedelta(days=91) <= cdr.start_time < NOW
        if cdr.sip_response_code == 200:
            answered += 1
            assert cdr.answer_time is not None and cdr.start_time <= cdr.answer_time <= cdr.end_time
            talk = (cdr.end_time - cdr.answer_time).total_seconds()
            assert cdr.billable_duration % 6 == 0 and talk <= cdr.billable_duration < talk + 6
            assert cdr.mos_score is not None and Decimal(1) <= cdr.mos_score <= Decimal("4.5")
            expected = (Decimal(cdr.billable_duration) / 60 * cdr.rate).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            assert cdr.cost == expected
            assert cdr.codecs_used
        else:
            assert cdr.answer_time is None and cdr.billable_duration == 0 and cdr.mos_score is None
        own = cdr.to_number if cdr.inbound else cdr.from_number
        assert own is not None and own.startswith("+1")
    assert 0.54 < answered / N < 0.62
    weekdays = sum(c.start_time.weekday() < 5 for c in built["cdrs"])
    assert weekdays / N > 0.8, "calls follow the working week"


def test_numbers_agree_with_their_rate_center(built: Built) -> None:
    kinds = {n.number_type for n in built["phone_numbers"]}
    assert {"local", "toll_free"} <= kinds
    for number in built["phone_numbers"]:
        if number.number_type == "local":
            center = CENTER_OF_NPA[number.number[2:5]]
            assert (number.state, number.lata, number.rate_center) == (center.state, center.lata, center.name)
        elif number.number_type == "toll_free":
            assert number.number[2:5] in TOLL_FREE_NPAS and number.state is None
        else:
            assert number.country_code == number.number[1 : 1 + len(number.country_code)]


def test_messages_count_their_segments_and_campaign_counters_add_up(built: Built) -> None:
    for message in built["messages"]:
        if message.message_type == "sms":
            assert message.num_segments == sms_segments(message.body or "")
        assert (message.status == "received") == (message.direction == "inbound")
        assert (message.error_code is not None) == (message.status in ("failed", "undelivered"))
    assert max(m.num_segments or 1 for m in built["messages"]) >= 3
    for campaign in built["messaging_campaigns"]:
        assert campaign.total_recipients == len(campaign.recipient_list)
        assert (campaign.delivered_count or 0) + (campaign.failed_count or 0) <= (campaign.sent_count or 0)
        assert (campaign.sent_count or 0) <= campaign.total_recipients


def test_the_same_seed_builds_the_same_rows_and_another_seed_others() -> None:
    def rows(seed: int) -> list[dict[str, Any]]:
        f = Factories(seed=seed, now=NOW)
        return [f.for_table(t).build().model_dump() for t in TABLES for _ in range(30)]

    first, again, other = rows(5), rows(5), rows(6)
    assert first == again
    assert sum(a != b for a, b in zip(first, other, strict=True)) == len(first)


def test_plans_are_reproducible_and_list_parents_first() -> None:
    def graph(seed: int) -> list[Create]:
        return Factories(seed=seed, now=NOW).cdr.graph()

    plan = graph(9)
    assert [type(c).__name__ for c in plan] == [
        "OrganizationCreate",
        "SipTrunkCreate",
        "PhoneNumberCreate",
        "CdrCreate",
    ]
    assert [c.model_dump() for c in plan] == [c.model_dump() for c in graph(9)]
    org, trunk, number, cdr = plan
    assert trunk.org_id == number.org_id == cdr.org_id == org.id  # type: ignore[attr-defined]
    assert cdr.trunk_id == trunk.id  # type: ignore[attr-defined]
    assert number.number in (cdr.from_number, cdr.to_number)  # type: ignore[attr-defined]


def test_keywords_override_and_unknown_ones_are_refused() -> None:
    f = Factories(seed=1, now=NOW)
    trunk = f.trunk.build(name="edge", max_channels=7, codecs=["OPUS"])
    assert (trunk.name, trunk.max_channels, trunk.codecs) == ("edge", 7, ["OPUS"])
    with pytest.raises(FactoryError, match="no column colour"):
        f.trunk.build(colour="red")
    with pytest.raises(ValidationError, match="transport"):
        f.trunk.build(transport="SMTP")


def test_weights_may_only_name_declared_values() -> None:
    with pytest.raises(FactoryError, match="not among the declared"):

        class _Bad(Factory[Any, Any]):
            shape = SipTrunkCreate
            weights = {"status": {"active": 1, "exploded": 1}}


def test_generated_values_are_fitted_to_their_columns() -> None:
    values = fit(Organization, {"name": "x" * 300})
    assert len(values["name"]) == 255
    assert values["parent_org_id"] is None, "nullable columns without a default are given, as NULL"
    assert "status" not in values, "columns with a server default are left to it"
    rate = fit(TABLES["lcr_rates"], {"rate": Decimal("0.12345678")})["rate"]
    assert rate == Decimal("0.123457")


def test_build_never_needs_a_database() -> None:
    f = Factories(seed=1, now=NOW)
    invoice = f.invoice.build()
    assert isinstance(invoice, InvoiceCreate)
    with pytest.raises(FactoryError, match="no connection"):
        f.invoice.create()


def test_unique_values_do_not_depend_on_random_retries() -> None:
    f = Factories(seed=2, now=NOW)
    numbers = [f.phone_number.build(number_type="local", state="HI").number for _ in range(20_000)]
    assert len(set(numbers)) == len(numbers), "20 000 numbers from the one Honolulu area code, none twice"
    assert all(n.startswith(("+1808",)) for n in numbers)
    dates = _dates(f.lcr_rate.build(prefix="1415", carrier_id=None).effective_date for _ in range(500))
    assert len(set(dates)) == 500, "a fixed prefix moves the effective date instead"
    assert math.isclose(len({f.organization.build().fcc_filer_id for _ in range(2_000)} - {None}), 1_200, rel_tol=0.1)


def _dates(values: Iterable[date]) -> list[date]:
    return list(values)
