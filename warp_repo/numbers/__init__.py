"""Phone numbers and their E911 addresses: the inventory, assignment within limits, release.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.numbers._async import AsyncE911AddressRepo, AsyncNumberInventory, AsyncPhoneNumberRepo, NumberQuery
from warp_repo.numbers._sync import E911AddressRepo, NumberInventory, PhoneNumberRepo

__all__ = [
    "AsyncE911AddressRepo",
    "AsyncNumberInventory",
    "AsyncPhoneNumberRepo",
    "E911AddressRepo",
    "NumberInventory",
    "NumberQuery",
    "PhoneNumberRepo",
]
