"""The restricted unpickler of dataset files: plain arrays load, nothing that can run code does."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from numpy.testing._private import utils as numpy_test_utils

from mer_toolkit.data.safe_pickle import load_pickle
from mer_toolkit.errors import DataError

PAYLOAD = "open('PWNED', 'w').close()"


class Calls:
    """Pickles as a call of ``func(*args)``, as a malicious file would."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return self.func, self.args


PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)  # 0-2 name builtins `__builtin__.x`, 3+ `builtins.x`


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_plain_data_with_arrays_round_trips(tmp_path: Path, protocol: int) -> None:
    data = {"ids": ["a", "b"], "x": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.int64(3),
            "labels": np.array([1, 2]), "pairs": [(1, 2.5)], "tags": {"x", "y"}, "frozen": frozenset({3}),
            "blob": bytearray(b"ab"), "z": 1 + 2j}
    path = tmp_path / "f.pkl"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    got = load_pickle(path)
    assert got["ids"] == ["a", "b"] and got["n"] == 3 and got["pairs"] == [(1, 2.5)]
    assert got["tags"] == {"x", "y"} and got["frozen"] == frozenset({3}) and got["blob"] == bytearray(b"ab")
    assert got["z"] == 1 + 2j
    assert got["x"].dtype == np.float32 and np.array_equal(got["x"], data["x"])
    assert np.array_equal(got["labels"], data["labels"])


@pytest.mark.parametrize("func,args", [
    (numpy_test_utils.runstring, (PAYLOAD, {})),  # a numpy global that executes a string
    (np.load, ("x.npy", None, True)),              # allow_pickle=True: unpickles anything from another file
    (np.fromfunction, (exec, (1,))),
    (eval, (PAYLOAD,)),
    (exec, (PAYLOAD,)),
    (os.system, ("touch PWNED",)),
    (getattr, ("os", "system")),
    (__import__, ("os",)),
])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_globals_that_can_run_code_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, func: object,
                                               args: tuple, protocol: int) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": Calls(func, *args)}, protocol=protocol))
    with pytest.raises(DataError, match=rf"evil.pkl' was refused: it refers to \S*{func.__name__}, which could "
                                        r"execute code; .* \(dicts, lists, strings, numbers, numpy arrays\)"):
        load_pickle(path)
    assert not (tmp_path / "PWNED").exists()


def test_unreadable_truncated_and_empty_files_are_data_errors(tmp_path: Path) -> None:
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps({"x": np.zeros(100)})[:50])
    with pytest.raises(DataError, match=r"cut.pkl' is not a valid pickle \(pickle data was truncated\)"):
        load_pickle(path)
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"cut.pkl' is truncated or malformed \(EOFError: Ran out of input\)"):
        load_pickle(path)
    with pytest.raises(DataError, match=r"' cannot be read \(.*Is a directory"):
        load_pickle(tmp_path)


@pytest.mark.parametrize("py2,value", [
    (b"c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n.", {1, 2}),  # protocol 0, as Python 2 writes it
    (b"\x80\x02c__builtin__\nfrozenset\nq\x00]q\x01K\x03a\x85q\x02Rq\x03.", frozenset({3})),
    (b"\x80\x02c__builtin__\ncomplex\nq\x00G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00"
     b"\x86q\x01Rq\x02.", 1 + 2j),
])
def test_python2_names_of_plain_builtins_load_as_builtins(tmp_path: Path, py2: bytes, value: object) -> None:
    """``__builtin__.set`` of a Python 2 pickle is ``builtins.set``; the same name list holds for both."""
    path = tmp_path / "py2.pkl"
    path.write_bytes(py2)
    assert load_pickle(path) == value


@pytest.mark.parametrize("module", ["__builtin__", "builtins"])
@pytest.mark.parametrize("name", ["eval", "exec", "getattr", "__import__", "open", "compile", "globals", "type"])
def test_other_builtins_stay_refused_under_either_module_name(tmp_path: Path, module: str, name: str) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(f"c{module}\n{name}\n(S'1'\ntR.".encode())  # protocol 0: GLOBAL, a one-string tuple, REDUCE
    with pytest.raises(DataError, match=rf"refers to {module}\.{name}, which could execute code"):
        load_pickle(path)


def test_python2_byte_strings_are_read_as_latin1(tmp_path: Path) -> None:
    """Python 2 pickles of the ERC corpora hold byte strings; latin-1 maps every byte to one character."""
    path = tmp_path / "py2.pkl"
    path.write_bytes(b"\x80\x02U\x04caf\xe9.")  # protocol 2, SHORT_BINSTRING 'caf\xe9', STOP
    assert load_pickle(path) == "café"
