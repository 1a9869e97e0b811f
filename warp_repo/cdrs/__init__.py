"""Call detail records: an organization's calls, statistics, billing runs.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.cdrs._async import AsyncCallRecords, AsyncCdrRepo, CallStats
from warp_repo.cdrs._sync import CallRecords, CdrRepo

__all__ = ["AsyncCallRecords", "AsyncCdrRepo", "CallRecords", "CallStats", "CdrRepo"]
