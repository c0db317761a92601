"""salw-nexus: the record of the UNODC–UNOCT SALW/terrorism-nexus programme in Central Asia."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version is looked up only when asked for: importlib.metadata costs ~70 ms at
    # start-up, which every command (and `nexus --help`) would otherwise pay.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("salw-nexus")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0"
