"""A fuzz test for model files: each header field of a saved model of every family is
edited (and the file re-signed, as a forger with our code could), and ``load`` must either
refuse the file in one line (a :class:`~cortexkit.ModelFileError`) or give a model whose
predictions are finite. Any other exception, or a NaN out of a loaded model, is a bug."""

from __future__ import annotations

import os
import random
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.test_docstrings import IMAGE_ESTIMATORS, _fit_small
from tests.test_persist import _rewrite

from cortexkit import ModelFileError, load
from cortexkit.persist import public_estimators

PUBLIC = public_estimators()
# how many (field, mutation) cases each family gets; raise it to fuzz harder locally
CASES = int(os.environ.get("CORTEXKIT_FUZZ_CASES", "15"))


def _rows(cls: type) -> Any:
    """Some rows (enough for a forecaster's lookback) like those ``_fit_small`` fitted
    ``cls`` on, as an array: a file whose feature names were edited rightly refuses a
    table with the old column names."""
    rng = np.random.default_rng(1)
    if cls.__name__ in IMAGE_ESTIMATORS:
        return rng.integers(0, 256, size=(16, 8, 8)).astype(np.uint8)
    X = pd.DataFrame(rng.normal(size=(16, 3)), columns=["a", "b", "c"])
    if getattr(cls, "_input_range", None) == (0, 1):
        X = 1 / (1 + np.exp(-X))
    return X.to_numpy()


def _outputs(est: Any, cls: type) -> list[np.ndarray]:
    """What the loaded model predicts (transforms, scores) for a few rows."""
    if getattr(cls, "_fit_input", "") == "ratings":
        return [np.asarray(est.predict([0, 1, 2], [0, 1, 2]), dtype=float)]
    X = _rows(cls)
    out = []
    for method in ("predict", "transform", "anomaly_scores"):
        if hasattr(est, method):
            result = np.asarray(getattr(est, method)(X))
            if result.dtype.kind in "biuf":
                out.append(result.astype(float))
    return out


def _mutations(value: Any) -> list[Any]:
    """A few wrong values in place of ``value``."""
    common: list[Any] = [None, "x", -1, 0, "NaN", 1e308, []]
    if isinstance(value, list):
        longer = value + value[:1] if value else [1]
        return [None, "x", 0, [], longer, value[:-1], {"a": 1}]
    if isinstance(value, bool):
        return [*common, "true"]
    if isinstance(value, (int, float)):
        return [*common, str(value), -abs(value) - 1, [value]]
    if isinstance(value, str):
        return [*common, 1, [value]]
    if isinstance(value, dict):
        return [None, "x", [], {}]
    return common


def _cases(info: dict[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, mutation) for the leaves and lists under ``params`` and ``state``."""
    cases: list[tuple[tuple[Any, ...], Any]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for key in sorted(node):
                walk(node[key], (*path, key))
            if len(path) > 1:
                cases.extend((path, m) for m in _mutations(node))
        elif isinstance(node, list):
            for i, item in enumerate(node[:3]):
                walk(item, (*path, i))
            cases.extend((path, m) for m in _mutations(node))
        else:
            cases.extend((path, m) for m in _mutations(node))

    for section in ("params", "state"):
        walk(info.get(section, {}), (section,))
    return cases


def _set(info: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node = info
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Each family's small model, saved, as bytes."""
    folder = tmp_path_factory.mktemp("fuzz")
    files = {}
    for name, cls in PUBLIC.items():
        path = folder / f"{name}.cortex"
        _fit_small(cls).save(path)
        files[name] = path.read_bytes()
    return files


def _document(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    _rewrite(path, edit_document=found.update)
    return found


@pytest.mark.parametrize("name", PUBLIC.keys())
def test_edited_model_file_is_refused_in_one_line_or_predicts_finite(
    name: str, saved: dict[str, bytes], tmp_path: Path
) -> None:
    cls = PUBLIC[name]
    path = tmp_path / "model.cortex"
    path.write_bytes(saved[name])
    cases = _cases(_document(path))
    rng = random.Random(zlib.crc32(name.encode()))
    chosen = rng.sample(cases, min(CASES, len(cases)))
    bugs = []
    for field_path, value in chosen:
        path.write_bytes(saved[name])
        _rewrite(path, edit_document=lambda info, p=field_path, v=value: _set(info, p, v))
        where = f"{'.'.join(map(str, field_path))}={value!r}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = load(path)
                outputs = _outputs(est, cls)
        except ModelFileError as exc:
            if "\n" in str(exc):
                bugs.append(f"{where}: a message of several lines: {exc}")
            continue
        except Exception as exc:  # any other exception is the bug sought
            bugs.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        if not all(np.isfinite(out).all() for out in outputs):
            bugs.append(f"{where}: loads, but predicts non-finite values")
    assert bugs == [], "\n".join(bugs)


@pytest.mark.parametrize("name", PUBLIC.keys())
def test_a_renamed_or_missing_parameter_is_refused(
    name: str, saved: dict[str, bytes], tmp_path: Path
) -> None:
    """A re-signed file whose parameter was renamed loaded (the missing one silently took
    its default): the saved names must be exactly the class's."""
    path = tmp_path / "model.cortex"
    path.write_bytes(saved[name])
    param = sorted(_document(path)["params"])[0]

    def rename(info: dict[str, Any]) -> None:
        info["params"][param + "_x"] = info["params"].pop(param)

    _rewrite(path, edit_document=rename)
    with pytest.raises(ModelFileError, match=rf"unknown parameter\(s\) \['{param}_x'\] and "
                       rf"missing parameter\(s\) \['{param}'\]"):  # fmt: skip
        load(path)
    path.write_bytes(saved[name])
    _rewrite(path, edit_document=lambda info: info["params"].pop(param))
    with pytest.raises(ModelFileError, match=rf"missing parameter\(s\) \['{param}'\]"):
        load(path)
