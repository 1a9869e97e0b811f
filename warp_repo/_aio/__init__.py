"""The hand-written async source of the domain services; ``tools/async_to_sync.py`` generates the sync modules.

Each ``warp_repo/_aio/<domain>.py`` generates ``warp_repo/<domain>.py``: edit the async module, run the tool.
"""
