"""Every indicator function of the package, by catalogue id.

Owns the one step that imports every area module (``cscperf.indicators.areas.*``), each of
which registers its functions with :func:`cscperf.indicators.registry.indicator`. It sits above
both the registry and the areas, so neither imports the other's importer: the areas import the
registry's decorator, and the engine and the command line ask this module for the functions.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from cscperf.indicators import areas
from cscperf.indicators.registry import registered_so_far

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cscperf.indicators.context import Context


def registered() -> Mapping[str, Callable[[Context], ir.Table]]:
    """Every registered indicator function (importing every area module first)."""
    for module in pkgutil.iter_modules(areas.__path__):
        if not module.name.startswith("_"):
            # Found by name: an area module registers its indicators when it is imported.
            importlib.import_module(f"{areas.__name__}.{module.name}")
    return registered_so_far()
