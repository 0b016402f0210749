"""Restricted unpickling for dataset files: only builtin containers/scalars and plain numpy arrays.

Pickles can run arbitrary code when loaded; the ERC feature and label pickles hold only dicts, lists,
strings, numbers and numpy arrays, so everything else is refused with the offending name. Python 2
pickles (and protocol 0-2 ones written by Python 3) name builtins ``__builtin__.set``: such names are
read as ``builtins`` ones and held to the same list.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["ALLOWED", "load_pickle"]

ALLOWED: set[tuple[str, str]] = {
    ("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "str", "bytes", "int", "float",
                              "complex", "bool", "bytearray", "slice", "range")
} | {
    ("collections", "OrderedDict"), ("collections", "defaultdict"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy", "float32"), ("numpy", "float64"), ("numpy", "int64"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"), ("_codecs", "encode"),
}


PY2_MODULES = {"__builtin__": "builtins"}  # Python 2 names (and Python 3 pickles of protocol < 3) of allowed modules


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = (PY2_MODULES.get(module, module), name)
        if allowed not in ALLOWED:
            raise pickle.UnpicklingError(f"forbidden global {module}.{name}")
        return super().find_class(*allowed)


def load_pickle(path: str | Path) -> Any:
    """Load ``path`` allowing only plain data; latin-1 decoding reads Python 2 pickles of the ERC corpora."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"pickle '{path}' cannot be read ({err})") from None
    try:
        return _Restricted(io.BytesIO(data), encoding="latin1").load()
    except pickle.UnpicklingError as err:
        if "forbidden global" in str(err):
            raise DataError(f"pickle '{path}' was refused: it refers to {str(err).split('global ')[1]}, which "
                            "could execute code; dataset pickles may hold only plain data (dicts, lists, strings, "
                            "numbers, numpy arrays)") from None
        raise DataError(f"pickle '{path}' is not a valid pickle ({err})") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise DataError(f"pickle '{path}' is truncated or malformed ({type(err).__name__}: {err})") from None
