"""Model files: round trips, and refusal of pickles, damaged, tampered and newer files."""

from __future__ import annotations

import ast
import inspect
import json
import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from cortexkit import (
    ANNClassifier,
    ANNRegressor,
    AutoEncoder,
    ModelFileError,
    Perceptron,
    RNNForecaster,
    load,
)
from cortexkit.ann.network import ManualObjective
from cortexkit.io import envelope
from cortexkit.io.envelope import atomic_write_bytes, digest
from cortexkit.model_file import FORMAT_VERSION, SaveMixin, save
from cortexkit.persist import public_estimators, read_model

SRC = Path(__file__).resolve().parents[1] / "src" / "cortexkit"


def _data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, X[:, 0] + 0.5 * X[:, 1]


# The public estimators, as the model-file registry knows them: a new family's classes are
# picked up here (and round-tripped below) without editing this file.
# Recommenders are fitted on ratings (user, item, rating), not on an X table: their round
# trip is tested with ratings in tests/recommend/test_recommend_models.py.
PUBLIC = {n: c for n, c in public_estimators().items() if getattr(c, "_fit_input", "") != "ratings"}
SMALL = {"hidden_layers": (5,), "epochs": 5, "random_state": 0, "device": "cpu"}


IMAGE_ESTIMATORS = {"CNNClassifier"}  # take images, not a table


def _input(cls: type, X: np.ndarray) -> np.ndarray:
    """``X`` as the estimator takes it: the table; squashed into (0, 1) for an estimator
    whose inputs must lie there (``_input_range = (0, 1)``); or for an image estimator each
    row as a 4x8 gray uint8 image (each feature a 1x2 block, so the target still follows it)."""
    if getattr(cls, "_input_range", None) == (0, 1):  # Bernoulli visible units: (0, 1)
        return 1 / (1 + np.exp(-X))
    if cls.__name__ not in IMAGE_ESTIMATORS:
        return X
    scaled = ((X - X.min()) / (X.max() - X.min()) * 255).astype(np.uint8)  # (n, 4)
    return np.repeat(np.repeat(scaled[:, None, :], 4, axis=1), 2, axis=2)  # (n, 4, 8)


def _small(cls: type) -> object:
    """A quick instance: the SMALL parameters that the class takes."""
    accepted = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in SMALL.items() if k in accepted})


def _targets(cls: type, t: np.ndarray) -> dict[str, object]:
    """Each shape of target the estimator takes, by name."""
    three = np.digitize(t, [-0.5, 0.5])
    est = cls()
    if is_classifier(est):
        return {"binary": t > 0, "multiclass": three,
                "strings": np.array(["low", "mid", "high"])[three]}  # fmt: skip
    if is_regressor(est):
        shapes: dict[str, object] = {"1-d": 3 * t + 7}
        if est.__sklearn_tags__().target_tags.multi_output:
            shapes["multi-output"] = np.c_[t, -t]
        return shapes
    return {"unsupervised": None}


def _fitted():
    """One fitted instance of every public estimator and shape of target, by name, plus a
    few named ones that other tests use."""
    X, t = _data()
    three = np.digitize(t, [-0.5, 0.5])
    models = {
        f"{name}-{kind}": _small(cls).fit(_input(cls, X), y)  # type: ignore[attr-defined]
        for name, cls in PUBLIC.items()
        for kind, y in _targets(cls, t).items()
    }
    models.update({
        "binary": ANNClassifier((5,), epochs=3, random_state=0, device="cpu").fit(X, t > 0),
        "multiclass": ANNClassifier((5, 3), epochs=3, random_state=0, device="cpu").fit(X, three),
        "tanh-strings": ANNClassifier(
            (5,), activation="tanh", epochs=3, random_state=0, device="cpu"
        ).fit(X, np.array(["low", "mid", "high"])[three]),
        "regressor": ANNRegressor((5,), epochs=3, random_state=0, device="cpu").fit(X, 3 * t + 7),
        "huber-multi-output": ANNRegressor(
            (5,), loss="huber", epochs=3, random_state=0, device="cpu"
        ).fit(X, np.c_[t, -t]),
        "perceptron": Perceptron(epochs=5, random_state=0).fit(X, t > 0),
    })  # fmt: skip
    return X, models


def test_the_registry_holds_every_public_estimator() -> None:
    assert {"ANNClassifier", "ANNRegressor", "Perceptron"} <= set(PUBLIC)
    assert not any(inspect.isabstract(cls) for cls in PUBLIC.values())


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the perceptrons, in 5 epochs
        return _fitted()


@pytest.fixture
def model_file(tmp_path, fitted) -> Path:
    path = tmp_path / "model.cortex"
    fitted[1]["multiclass"].save(path)
    return path


def _as_json(params: dict) -> dict:
    """Parameters as a model file holds them (tuples become lists)."""
    return json.loads(json.dumps(params))


# every public estimator with every shape of target it takes, from the registry; and two
# parameter variants (a non-default activation and loss)
DERIVED = sorted(
    f"{name}-{kind}" for name, cls in PUBLIC.items() for kind in _targets(cls, np.zeros(3))
)
KINDS = [*DERIVED, "tanh-strings", "huber-multi-output"]


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_gives_identical_predictions(tmp_path, fitted, kind) -> None:
    X, models = fitted
    est = models[kind]
    X = _input(type(est), X)
    path = tmp_path / f"{kind}.cortex"
    est.save(path)
    back = load(path)
    assert type(back) is type(est)
    out = "predict" if hasattr(est, "predict") else "transform"  # a transformer's features
    np.testing.assert_array_equal(getattr(back, out)(X), getattr(est, out)(X))
    assert getattr(back, out)(X).dtype == getattr(est, out)(X).dtype
    for method in ("predict_proba", "decision_function"):
        if hasattr(est, method):
            np.testing.assert_array_equal(getattr(back, method)(X), getattr(est, method)(X))
    assert _as_json(back.get_params()) == _as_json(est.get_params())
    assert getattr(back, "n_features_in_", None) == getattr(est, "n_features_in_", None)
    if hasattr(est, "classes_"):
        np.testing.assert_array_equal(back.classes_, est.classes_)
    if hasattr(est, "history_"):
        assert back.history_ == json.loads(json.dumps(est.history_))


def test_loaded_network_keeps_the_fast_path_and_can_continue(tmp_path, fitted) -> None:
    X, models = fitted
    path = tmp_path / "m.cortex"
    models["binary"].save(path)
    back = load(path, device="cpu")
    assert isinstance(back._objective, ManualObjective)
    assert back.device == "cpu"
    before = back.network_.flat.detach().clone()
    back.partial_fit(X, models["binary"].predict(X))
    assert not torch.equal(back.network_.flat.detach(), before)
    assert np.isfinite(back.history_["loss"]).all()


def test_header_length_starting_like_a_pickle_still_loads(tmp_path, fitted) -> None:
    # The file opens with its header's length; 0x80 as its first byte is not a pickle.
    X, models = fitted
    path = tmp_path / "m.cortex"
    for k in range(264):  # the header grows in steps of 8 bytes
        models["perceptron"].save(path, pad="x" * k)
        if path.read_bytes()[:1] == b"\x80":
            break
    else:
        pytest.fail("no padding gave a header length of 0x..80")
    np.testing.assert_array_equal(load(path).predict(X), models["perceptron"].predict(X))


def test_feature_names_survive(tmp_path) -> None:
    pd = pytest.importorskip("pandas")
    X, t = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = ANNClassifier((4,), epochs=1, random_state=0, device="cpu").fit(frame, t > 0)
    clf.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")
    assert back.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(back.predict(frame), clf.predict(frame))


def test_extra_json_is_kept(tmp_path, fitted) -> None:
    path = tmp_path / "m.cortex"
    save(fitted[1]["regressor"], path, columns=["x1", "x2"], note={"k": 1})
    model = read_model(path)
    assert model.extra == {"columns": ["x1", "x2"], "note": {"k": 1}}
    assert isinstance(model.estimator, ANNRegressor) and model.library_version


def test_unfitted_or_unstorable_models_are_not_saved(tmp_path) -> None:
    with pytest.raises(NotFittedError):
        ANNClassifier().save(tmp_path / "a.cortex")
    X, t = _data()
    clf = ANNClassifier((3,), activation=torch.tanh, epochs=1, device="cpu").fit(X, t > 0)
    with pytest.raises(ValueError, match="parameter activation="):
        clf.save(tmp_path / "b.cortex")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_and_missing_file(tmp_path, fitted) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        fitted[1]["binary"].save(tmp_path / "nowhere" / "m.cortex")
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "absent.cortex")


# -- refusals -------------------------------------------------------------------------------


class _Exploit:
    """Unpickling this would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_crafted_pickle_is_refused_not_run(tmp_path, protocol) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.cortex"
    path.write_bytes(pickle.dumps(_Exploit(marker), protocol=protocol))
    assert not marker.exists()
    with pytest.raises(ModelFileError, match=r"evil\.cortex"):
        load(path)
    assert not marker.exists()


def test_torch_save_file_is_refused_not_run(tmp_path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"weights": torch.zeros(2), "payload": _Exploit(marker)}, path)
    with pytest.raises(ModelFileError, match=r"pickle or torch\.save"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_refused(model_file, keep) -> None:
    data = model_file.read_bytes()
    model_file.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError, match="not a complete safetensors file"):
        load(model_file)


def test_flipped_weight_byte_is_refused(model_file) -> None:
    data = bytearray(model_file.read_bytes())
    data[-3] ^= 0x01  # the tensors' bytes come last
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum does not match"):
        load(model_file)


def test_edited_json_header_is_refused(model_file) -> None:
    data = model_file.read_bytes()
    edited = data.replace(b'\\"epochs\\": 3', b'\\"epochs\\": 9')
    assert edited != data and len(edited) == len(data)
    model_file.write_bytes(edited)
    with pytest.raises(ModelFileError, match="checksum does not match"):
        load(model_file)


def _rewrite(path: Path, edit_document=None, edit_tensors=None) -> None:
    """Rewrite a model file with a consistent checksum, as a forger with our code could."""
    data = path.read_bytes()
    tensors = st_load(data)
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    info = json.loads(header["__metadata__"]["cortexkit"])
    if edit_document:
        edit_document(info)
    if edit_tensors:
        edit_tensors(tensors)
    document = json.dumps(info, sort_keys=True)
    metadata = {"cortexkit": document, "sha256": digest(document, tensors)}
    path.write_bytes(st_save(tensors, metadata=metadata))


def test_newer_format_version_says_so(model_file) -> None:
    _rewrite(model_file, edit_document=lambda info: info.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match=f"format version {FORMAT_VERSION + 1}.*upgrade"):
        load(model_file)


def test_consistent_rewrite_still_loads(model_file, fitted) -> None:
    # the forging helper itself is sound: without an edit the file loads
    _rewrite(model_file)
    X, models = fitted
    np.testing.assert_array_equal(load(model_file).predict(X), models["multiclass"].predict(X))


def test_non_finite_weights_are_refused(model_file) -> None:
    def poison(tensors):
        tensors["flat"][3] = float("nan")

    _rewrite(model_file, edit_tensors=poison)
    with pytest.raises(ModelFileError, match="'flat' holds NaN"):
        load(model_file)


def test_unknown_class_and_format_are_refused(model_file) -> None:
    _rewrite(model_file, edit_document=lambda info: info.update({"class": "os.system"}))
    with pytest.raises(ModelFileError, match="unknown estimator class"):
        load(model_file)
    _rewrite(model_file, edit_document=lambda info: info.update(format="other-model"))
    with pytest.raises(ModelFileError, match="its format is 'other-model'"):
        load(model_file)


def test_wrong_weight_shape_is_refused(model_file) -> None:
    _rewrite(model_file, edit_tensors=lambda t: t.update(flat=t["flat"][:-1].clone()))
    with pytest.raises(ModelFileError, match="does not fit ANNClassifier"):
        load(model_file)


def test_foreign_safetensors_file_is_refused(tmp_path) -> None:
    path = tmp_path / "other.safetensors"
    path.write_bytes(st_save({"w": torch.zeros(3)}))
    with pytest.raises(ModelFileError, match="without cortexkit's header"):
        load(path)


def test_text_file_is_refused(tmp_path) -> None:
    path = tmp_path / "notes.cortex"
    path.write_text("not a model\n")
    with pytest.raises(ModelFileError):
        load(path)


# -- atomic saves -----------------------------------------------------------------------------


def _interrupt_at(monkeypatch, name: str, error: BaseException) -> None:
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(envelope.os, name, fail)


@pytest.mark.parametrize(
    ("where", "error"),
    [("replace", OSError("disk full")), ("fsync", KeyboardInterrupt()), ("fchmod", OSError("no"))],
)
def test_interrupted_save_leaves_the_old_file_and_no_temp_file(
    tmp_path, fitted, monkeypatch, where, error
) -> None:
    X, models = fitted
    path = tmp_path / "model.cortex"
    models["binary"].save(path)
    before = path.read_bytes()
    _interrupt_at(monkeypatch, where, error)
    with pytest.raises(type(error)):
        models["regressor"].save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.cortex"]
    np.testing.assert_array_equal(load(path).predict(X), models["binary"].predict(X))


def test_interrupted_first_save_leaves_nothing(tmp_path, monkeypatch) -> None:
    _interrupt_at(monkeypatch, "replace", OSError("disk full"))
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(tmp_path / "new.bin", b"abc")
    assert list(tmp_path.iterdir()) == []


def test_a_refused_save_names_the_target_not_the_temporary_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "locked" / "model.cortex"
    target.parent.mkdir()

    def read_only(*args, dir=None, prefix="", suffix=""):  # what a read-only folder gives
        raise PermissionError(13, "Permission denied", os.path.join(dir, f"{prefix}x1{suffix}"))

    monkeypatch.setattr(envelope.tempfile, "mkstemp", read_only)
    with pytest.raises(PermissionError) as caught:
        atomic_write_bytes(target, b"abc")
    message = str(caught.value)
    assert message == (
        f"cannot save the file {str(target)!r}: folder {str(target.parent)!r} is not writable "
        "(Permission denied)"
    )
    assert ".tmp" not in message and caught.value.errno == 13


def test_atomic_write_replaces_and_keeps_permissions(tmp_path) -> None:
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"one")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    path.chmod(0o640)
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two" and path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


# -- the source never unpickles ---------------------------------------------------------------


def _sources() -> list[Path]:
    files = sorted(SRC.rglob("*.py"))
    assert files, f"no sources under {SRC}"
    return files


def test_torch_load_only_with_weights_only() -> None:
    offenders = []
    for path in _sources():
        text = path.read_text()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "load":
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id == "torch":
                    safe = any(
                        k.arg == "weights_only"
                        and isinstance(k.value, ast.Constant)
                        and k.value.value is True
                        for k in node.keywords
                    )
                    if not safe:
                        offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
        # and textually, in case of aliases the AST walk would miss
        for match in re.finditer(r"torch\.load\(([^)]*)\)", text):
            if "weights_only=True" not in match.group(1):
                offenders.append(f"{path.relative_to(SRC)}: {match.group(0)}")
    assert offenders == [], "torch.load without weights_only=True"


def test_no_pickle_in_the_source() -> None:
    forbidden = {"pickle", "cPickle", "dill", "cloudpickle", "shelve", "marshal"}
    offenders = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            offenders += [
                f"{path.relative_to(SRC)}:{node.lineno} {n}" for n in names if n in forbidden
            ]
        if re.search(r"^\s*(import|from)\s+pickle\b", path.read_text(), re.MULTILINE):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_the_scan_would_catch_an_offender(tmp_path) -> None:
    bad = "import pickle\nimport torch\nstate = torch.load('m.pt')\n"
    tree = ast.parse(bad)
    assert any(isinstance(n, ast.Import) and n.names[0].name == "pickle" for n in ast.walk(tree))
    assert re.search(r"torch\.load\(([^)]*)\)", bad).group(1) == "'m.pt'"


# -- forged files: a valid digest does not make the contents trustworthy -------------------


def _forge(path, edit) -> None:
    """Rewrite a model file's JSON through ``edit`` and recompute its digest."""
    data = path.read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    info = json.loads(header["__metadata__"]["cortexkit"])
    edit(info)
    document = json.dumps(info, sort_keys=True)
    tensors = st_load(data)
    checksum = digest(document, tensors)
    path.write_bytes(st_save(tensors, metadata={"cortexkit": document, "sha256": checksum}))


@pytest.mark.parametrize(
    "edit",
    [
        lambda info: info["params"].update(surprise=1),
        lambda info: info["params"].update(hidden_layers=-3),
        lambda info: info["params"].update(epochs="x"),
        lambda info: info["state"].update(classes_dtype=5),
        lambda info: info.update(state=None),
        lambda info: info["state"].update(classes_=[0]),
        lambda info: info["state"].update(n_features_in_=7),
    ],
)
def test_forged_contents_are_refused(tmp_path, edit, iris) -> None:
    X, y = iris
    path = tmp_path / "model.cortex"
    ANNClassifier(hidden_layers=(4,), epochs=2, random_state=0).fit(X, y).save(path)
    _forge(path, edit)
    with pytest.raises(ModelFileError):
        load(path)


def test_a_model_saved_for_a_missing_gpu_loads_on_the_cpu(tmp_path, iris) -> None:
    X, y = iris
    path = tmp_path / "model.cortex"
    clf = ANNClassifier(hidden_layers=(4,), epochs=2, random_state=0).fit(X, y)
    clf.save(path)
    _forge(path, lambda info: info["params"].update(device="cuda:7"))
    if torch.cuda.device_count() > 7:  # pragma: no cover - a machine with 8 GPUs
        pytest.skip("this machine has that GPU")
    with pytest.warns(UserWarning, match="device='auto'"):
        loaded = load(path)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_a_redefined_class_replaces_its_registration_but_never_cortexkits() -> None:
    from cortexkit.model_file import MODEL_CLASSES

    def define(name: str, module: str) -> type:
        body = {"_get_state": lambda self: ({}, {}), "__module__": module}
        return type(name, (SaveMixin,), body)

    try:
        first = define("Redefined", "notebook")
        second = define("Redefined", "notebook")  # the same cell run again
        assert MODEL_CLASSES["Redefined"] is second is not first
        define("ANNClassifier", "someone.else")
        assert MODEL_CLASSES["ANNClassifier"] is ANNClassifier
    finally:
        MODEL_CLASSES.pop("Redefined", None)


@pytest.mark.parametrize(
    ("family", "field", "value", "says"),
    [
        ("autoencoder", "threshold_", float("nan"), "threshold_ is nan, not a finite number"),
        ("autorec", "rating_scale_", [5.0, 1.0], r"rating_scale_ is \[5.0, 1.0\], not finite"),
        ("boltzmann", "rating_scale_", [3.0, 3.0], r"rating_scale_ is \[3.0, 3.0\], not finite"),
    ],
)
def test_an_impossible_header_value_is_refused(tmp_path, family, field, value, says) -> None:
    """A NaN threshold_ or a reversed rating_scale_ loaded silently (every row an anomaly;
    every prediction clipped to one end of the scale)."""
    from cortexkit import AutoEncoder, AutoRecRecommender, BoltzmannRecommender
    from cortexkit.recommend.synthetic import latent_factor_ratings

    if family == "autoencoder":
        est = AutoEncoder(hidden_layers=(2,), epochs=1, random_state=0)
        est.fit(np.random.default_rng(0).normal(size=(40, 4)))
    else:
        ratings = latent_factor_ratings(20, 15, density=0.5, random_state=0)
        cls = AutoRecRecommender if family == "autorec" else BoltzmannRecommender
        est = cls(epochs=1, random_state=0).fit(ratings)
    path = tmp_path / f"{family}.cortex"
    est.save(path)
    load(path)  # sound before the edit
    _rewrite(path, edit_document=lambda info: info["state"].update({field: value}))
    with pytest.raises(ModelFileError, match=says) as refused:
        load(path)
    assert "\n" not in str(refused.value)


def test_torch_errors_are_refused_in_one_line(model_file) -> None:
    # torch's messages can span lines (here a C++ overflow error with its stack frames)
    def edit(info):
        info["state"]["layer_sizes"][1] = 1e308

    _rewrite(model_file, edit_document=edit)
    with pytest.raises(ModelFileError) as caught:
        load(model_file)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("ANNRegressor", "y_mean", ["NaN"]),
        ("ANNRegressor", "y_std", "x"),
        ("RNNRegressor", "x_mean", [[]]),
        ("RNNRegressor", "x_std", [0]),
        ("RNNForecaster", "std", None),
    ],
)
def test_bad_scaling_state_is_refused_at_load(tmp_path, name, field, value) -> None:
    # the scales were taken as they came: load succeeded, predict raised or gave NaN
    from tests.test_docstrings import _fit_small

    path = tmp_path / "model.cortex"
    _fit_small(public_estimators()[name]).save(path)
    _rewrite(path, edit_document=lambda info: info["state"].update({field: value}))
    with pytest.raises(ModelFileError, match=f"{field} must be a list of"):
        load(path)


def test_non_finite_rating_levels_are_refused_at_load(tmp_path) -> None:
    # "NaN" became a NaN level: the file loaded, and predict gave NaN ratings
    from tests.test_docstrings import _fit_small

    path = tmp_path / "model.cortex"
    _fit_small(public_estimators()["BoltzmannRecommender"]).save(path)
    _rewrite(path, edit_document=lambda info: info["state"]["levels_"].__setitem__(2, "NaN"))
    with pytest.raises(ModelFileError, match="levels_ must be a list of finite numbers"):
        load(path)


@pytest.mark.parametrize("classes", [[0], [0, 0]], ids=["one", "twice"])
def test_classifier_file_with_too_few_classes_is_refused_at_load(tmp_path, classes) -> None:
    # a binary classifier's file with one class loaded, and predict raised IndexError
    path = tmp_path / "model.cortex"
    Perceptron(epochs=2, random_state=0).fit([[0, 0], [1, 1]], [0, 1]).save(path)
    _rewrite(path, edit_document=lambda info: info["state"].update(classes_=classes))
    with pytest.raises(ModelFileError, match="classes_ must list 2 or more distinct classes"):
        load(path)


def test_forecaster_file_whose_target_is_not_its_column_is_refused_at_load(tmp_path) -> None:
    # target='x' in a file fitted on columns a, b, c loaded; predict then refused the history
    from tests.test_docstrings import _fit_small

    path = tmp_path / "model.cortex"
    _fit_small(public_estimators()["RNNForecaster"]).save(path)
    _rewrite(path, edit_document=lambda info: info["params"].update(target="x"))
    with pytest.raises(ModelFileError, match="target='x' is not the first of the columns"):
        load(path)


def test_autorec_file_with_an_offset_beyond_float32_is_refused_at_load(tmp_path) -> None:
    # input_offset=1e308 is finite, but infinite in float32: the file loaded and predicted NaN
    from tests.test_docstrings import _fit_small

    path = tmp_path / "model.cortex"
    _fit_small(public_estimators()["AutoRecRecommender"]).save(path)
    _rewrite(path, edit_document=lambda info: info["params"].update(input_offset=1e308))
    with pytest.raises(ModelFileError, match="input_offset must be a finite number within"):
        load(path)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda t: t.pop("reference_codes_"), "needs reference_codes_"),
        (
            lambda t: t.update(reference_codes_=t["reference_codes_"][:, :1].contiguous()),
            "codes of 1, not 2",
        ),
        (lambda t: t.update(reference_codes_=t["reference_codes_"][0]), "a 2-d array"),
    ],
    ids=["missing", "narrow", "flat"],
)
def test_an_autoencoders_reference_codes_are_checked_at_load(tmp_path, edit, says) -> None:
    path = tmp_path / "m.cortex"
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    AutoEncoder((3, 2), epochs=1, random_state=0).fit(X).save(path)
    _rewrite(path, edit_tensors=edit)
    with pytest.raises(ModelFileError, match=says):
        load(path)


@pytest.mark.parametrize(
    ("make", "name", "old"),
    [
        (lambda: AutoEncoder((3,), epochs=1, random_state=0), "trim", 0.0),
        (lambda: RNNForecaster(lookback=4, epochs=1, random_state=0, device="cpu"), "blend", 1.0),
        (
            lambda: AutoEncoder((3,), epochs=1, random_state=0, scoring="reconstruction"),
            "scoring",
            "reconstruction",
        ),
    ],
    ids=["AutoEncoder.trim", "RNNForecaster.blend", "AutoEncoder.scoring"],
)
def test_a_file_from_before_a_parameter_loads_with_the_value_it_trained_with(
    tmp_path, make, name, old
) -> None:
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    est = make().fit(X[:, 0] if name == "blend" else X)
    path = tmp_path / "m.cortex"
    est.save(path)
    data = path.read_bytes()  # the parameter taken out, as a file written before it was
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    info = json.loads(header["__metadata__"]["cortexkit"])
    del info["params"][name]
    document, tensors = json.dumps(info, sort_keys=True), st_load(data)
    path.write_bytes(st_save(tensors, metadata={"cortexkit": document,
                                                "sha256": digest(document, tensors)}))  # fmt: skip
    assert getattr(load(path), name) == old
    del info["params"]["random_state"]  # any other missing parameter is still refused
    document = json.dumps(info, sort_keys=True)
    path.write_bytes(st_save(tensors, metadata={"cortexkit": document,
                                                "sha256": digest(document, tensors)}))  # fmt: skip
    with pytest.raises(ValueError, match=r"missing parameter\(s\) \['random_state'\]"):
        load(path)
