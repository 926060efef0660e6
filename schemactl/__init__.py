"""schemactl: keep an Attio workspace's data model in git; plan and apply changes safely."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("schemactl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
