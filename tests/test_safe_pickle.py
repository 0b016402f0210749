"""The restricted unpickler of dataset files: plain arrays load, nothing that can run code does."""

from __future__ import annotations

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


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_plain_data_with_arrays_round_trips(tmp_path: Path, protocol: int) -> None:
    data = {"ids": ["a", "b"], "x": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.int64(3),
            "labels": np.array([1, 2]), "pairs": [(1, 2.5)]}
    path = tmp_path / "f.pkl"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    got = load_pickle(path)
    assert got["ids"] == ["a", "b"] and got["n"] == 3 and got["pairs"] == [(1, 2.5)]
    assert got["x"].dtype == np.float32 and np.array_equal(got["x"], data["x"])
    assert np.array_equal(got["labels"], data["labels"])


@pytest.mark.parametrize("func,args", [
    (numpy_test_utils.runstring, (PAYLOAD, {})),  # a numpy global that executes a string
    (np.load, ("x.npy", None, True)),              # allow_pickle=True: unpickles anything from another file
    (np.fromfunction, (exec, (1,))),
    (eval, (PAYLOAD,)),
])
def test_globals_that_can_run_code_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, func: object,
                                               args: tuple) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": Calls(func, *args)}, protocol=2))
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


def test_python2_byte_strings_are_read_as_latin1(tmp_path: Path) -> None:
    """Python 2 pickles of the ERC corpora hold byte strings; latin-1 maps every byte to one character."""
    path = tmp_path / "py2.pkl"
    path.write_bytes(b"\x80\x02U\x04caf\xe9.")  # protocol 2, SHORT_BINSTRING 'caf\xe9', STOP
    assert load_pickle(path) == "café"
