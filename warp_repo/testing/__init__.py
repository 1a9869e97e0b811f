"""Test data for WARP: a telecom Faker provider, a factory per table and a pytest plugin.

.. code-block:: python

    from warp_repo.testing import Factories

    factories = Factories(seed=7, conn=conn)            # one seeded generator for every table
    trunk = factories.trunk.create()                    # its organization is made too
    cdrs = factories.cdr.batch(100, org_id=trunk.org_id)  # calls through that trunk, from its numbers
    factories.cdr.copy(1_000_000, org_id=trunk.org_id)  # streamed with COPY
    invoice = factories.invoice.build()                 # a valid InvoiceCreate, nothing stored

The pytest plugin (``warp_repo.testing.pytest_plugin``, registered as ``warp``) gives tests a migrated
database, a rolled-back transaction per test as a non-superuser role, these factories bound to it, and an
isolated Redis.

Secret columns get real hashes and ciphertexts (``warp_repo.testing._secrets``): users' passwords are
:data:`TEST_PASSWORD`, and MFA secrets, tax ids and API key hashes are made under the public
:data:`TEST_ENCRYPTION_KEYS` and :data:`TEST_API_KEY_PEPPERS` unless ``Factories(keyring=..., peppers=...)`` says
otherwise.
"""

import importlib
from typing import TYPE_CHECKING, Any

from warp_repo.testing._database import TestDatabase, TestDatabaseError
from warp_repo.testing._secrets import TEST_API_KEY_PEPPERS, TEST_ENCRYPTION_KEYS, TEST_PASSWORD
from warp_repo.testing._unique import SpaceExhausted

if TYPE_CHECKING:
    from warp_repo.testing._factory import Factory, FactoryError, Plan
    from warp_repo.testing._provider import CallOutcome, NanpNumber, TelecomProvider, sms_encoding, sms_segments
    from warp_repo.testing._set import Factories, Tenant

_NEED_FAKER = {
    "CallOutcome": "_provider",
    "Factories": "_set",
    "Factory": "_factory",
    "FactoryError": "_factory",
    "NanpNumber": "_provider",
    "Plan": "_factory",
    "TelecomProvider": "_provider",
    "Tenant": "_set",
    "sms_encoding": "_provider",
    "sms_segments": "_provider",
}
"""Names whose modules need Faker, which only the ``testing`` extra installs: imported on first use."""


def __getattr__(name: str) -> Any:
    module = _NEED_FAKER.get(name)
    if module is None:
        raise AttributeError(f"module 'warp_repo.testing' has no attribute {name!r}")
    try:
        importlib.import_module("faker")
    except ImportError as exc:
        raise ImportError(
            f"warp_repo.testing.{name} needs Faker, which the base install leaves out: "
            "pip install 'warp-models[testing]'"
        ) from exc
    return getattr(importlib.import_module(f"warp_repo.testing.{module}"), name)


__all__ = [
    "TEST_API_KEY_PEPPERS",
    "TEST_ENCRYPTION_KEYS",
    "TEST_PASSWORD",
    "CallOutcome",
    "Factories",
    "Factory",
    "FactoryError",
    "NanpNumber",
    "Plan",
    "SpaceExhausted",
    "TelecomProvider",
    "Tenant",
    "TestDatabase",
    "TestDatabaseError",
    "sms_encoding",
    "sms_segments",
]
