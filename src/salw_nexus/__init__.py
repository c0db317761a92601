"""salw-nexus: the record of the UNODC–UNOCT SALW/terrorism-nexus programme in Central Asia."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salw-nexus")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
