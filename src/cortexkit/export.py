"""Export to ONNX: what every family's export shares.

Every estimator has ``to_onnx(path)`` (:class:`ExportMixin`, a base of
:class:`~cortexkit.model.CortexModel`). A family that can export gives its estimators an
``_onnx_graph()`` hook (in the family's own ``export.py``), which returns an
:class:`OnnxGraph`: a torch module from the *raw* input that ``predict`` takes to the
output it answers, so that the input scaling (and, for a table, the standardisation of a
:class:`~cortexkit.data.TableEncoder` given as ``encoder=``) and the output's decoding
(softmax, the target's units, the rating scale) are inside the ONNX model. The rest is
here, once: the path is checked before any work, the module is traced on the CPU with a
dynamic batch axis, what the input and output are is written into the model (its doc
string and ``metadata_props``), and the file is written atomically.

Why a hook and not one exporter above the families: how a family scales its input lives in
its private fitted state (``_x_mean``, ``_y_scaling``, a forecaster's transform); an
exporter above them would reach into seven classes' privates and break silently when one
changes, while the hook keeps that knowledge in the family, beside the state it reads.
The SOM and the Boltzmann machines define no hook (sampling and best-matching units are not
what ``predict`` of a feed-forward network is), nor does the perceptron (a NumPy threshold
unit with no probabilities): ``to_onnx`` refuses them in one line,
:class:`~cortexkit.exceptions.NotExportableError`.

The exporter is torch's TorchScript-based one (``torch.onnx.export(..., dynamo=False)``):
on torch 2.13 it exports every recurrent cell with a dynamic batch and time axis, offline
and in well under a second, where the ``torch.export``-based exporter (which needs
``onnxscript``) fixes an LSTM's time axis to the example's length and fails on a plain
RNN. The ONNX packages come from the optional ``export`` extra
(``pip install 'cortexkit[export]'``).
"""

from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cortexkit.exceptions import NotExportableError
from cortexkit.io.envelope import atomic_write_bytes

__all__ = [
    "OPSET",
    "ClassProbabilities",
    "ExportMixin",
    "OnnxGraph",
    "Standardise",
    "Unscale",
    "check_onnx_path",
    "write_onnx",
]

OPSET = 17  # read by every onnxruntime since 1.14 (2023)
INPUT = "input"
EXTRA = "pip install 'cortexkit[export]'"


@dataclass(frozen=True)
class OnnxGraph:
    """What a family's ``_onnx_graph()`` hook returns.

    ``module`` maps the raw input to the output; ``example`` is one input of the right
    shape (its ``dynamic`` axes, ``{axis: name}``, may vary in the ONNX model; the batch
    axis always does); ``output`` names the output and ``output_dynamic`` its varying
    axes; ``input_doc`` and ``output_doc`` say in words what they hold; ``metadata`` is kept
    in the model's ``metadata_props`` (JSON values); ``table``: the input is a 2-d numeric
    table, in front of which an encoder's standardisation may go.
    """

    module: nn.Module
    example: Tensor
    output: str
    input_doc: str
    output_doc: str
    dynamic: dict[int, str] = field(default_factory=lambda: {0: "batch"})
    output_dynamic: dict[int, str] = field(default_factory=lambda: {0: "batch"})
    metadata: dict[str, Any] = field(default_factory=dict)
    table: bool = False


class Standardise(nn.Module):
    """``(x - mean) / std`` along the last axis (a fitted input scaling, as constants)."""

    mean: Tensor
    std: Tensor

    def __init__(self, mean: Any, std: Any) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(-1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).reshape(-1))

    def forward(self, x: Tensor) -> Tensor:
        return (x.float() - self.mean) / self.std


class Unscale(nn.Module):
    """``y * std + mean`` along the last axis (a fitted target scaling undone), then
    flattened to ``(batch,)`` when ``one_d`` (a 1-d target)."""

    mean: Tensor
    std: Tensor

    def __init__(self, mean: Any, std: Any, *, one_d: bool = False) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(-1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).reshape(-1))
        self.one_d = bool(one_d)

    def forward(self, y: Tensor) -> Tensor:
        y = y * self.std + self.mean
        return y[:, 0] if self.one_d else y


class ClassProbabilities(nn.Module):
    """Raw scores to ``predict_proba``'s columns: ``[1 - p, p]`` with ``p = sigmoid(z)``
    for one output unit (two classes), else the softmax."""

    def forward(self, z: Tensor) -> Tensor:
        if z.shape[1] == 1:
            p = torch.sigmoid(z)
            return torch.cat([1 - p, p], dim=1)
        return torch.softmax(z, dim=1)


class ExportMixin:
    """Gives an estimator ``to_onnx(path)``; a family that can export defines
    ``_onnx_graph()`` (see the module's docstring)."""

    def to_onnx(self, path: str | os.PathLike[str], *, encoder: Any = None) -> None:
        """Write the fitted model to ``path`` as an ONNX model that takes the raw input
        ``predict`` takes and gives ``predict_proba`` (classifiers), ``predict``
        (regressors; a forecaster's next step) or the reconstruction (autoencoders).

        The model's doc string and ``metadata_props`` say what its input and output hold
        (``input``, ``output``, and the ``classes`` or ``feature_names`` where there are).
        ``encoder``: a fitted :class:`~cortexkit.data.TableEncoder` whose standardisation
        goes in front, for a table model trained on its output (the ONNX input is then the
        numeric columns as they are, followed by the text columns' 0/1 one-hot columns, as
        its ``get_feature_names_out()`` lists them). Needs the ``export`` extra.

        Raises
        ------
        NotExportableError
            For a family that cannot export (SOM, RBM, DBN, DBM, the Boltzmann
            recommender, the perceptron), or a network torch cannot trace.
        ValueError
            If ``path`` cannot be written (checked first), or the model is not fitted.
        """
        target = check_onnx_path(path)
        graph = self._onnx_graph()
        if encoder is not None:
            graph = with_encoder(graph, encoder, type(self).__name__)
        write_onnx(graph, target, type(self).__name__)

    def _onnx_graph(self) -> OnnxGraph:
        raise NotExportableError(
            f"{type(self).__name__} cannot be exported to ONNX: only ANNClassifier, "
            "ANNRegressor, CNNClassifier, RNNClassifier, RNNRegressor, RNNForecaster, "
            "AutoEncoder and AutoRecRecommender can"
        )


def check_onnx_path(path: Any, name: str = "path") -> Path:
    """``path`` as a ``Path``, refused (``ValueError``, naming ``name``) when it is a folder,
    its folder is missing or not writable."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ValueError(f"{name} must be a file path (str or os.PathLike); got {path!r}")
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ValueError(f"{name} {str(target)!r} is a folder; give a file name inside it")
    if not folder.is_dir():
        raise ValueError(f"{name} {str(target)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {str(target)!r}: folder {str(folder)!r} is not writable")
    return target


def with_encoder(graph: OnnxGraph, encoder: Any, model: str) -> OnnxGraph:
    """``graph`` with a fitted TableEncoder's standardisation in front: its numeric columns
    are centred and scaled, its one-hot columns pass through."""
    kinds = getattr(encoder, "kinds_", None)
    if kinds is None or not hasattr(encoder, "means_"):
        raise ValueError(f"encoder must be a fitted TableEncoder; got {type(encoder).__name__}")
    if not graph.table:
        raise ValueError(f"encoder= is for a model of a table; {model} does not read one")
    names = [str(n) for n in encoder.get_feature_names_out()]
    width = int(graph.example.shape[1])
    if len(names) != width:
        raise ValueError(
            f"encoder gives {len(names)} columns; {model} was fitted on {width} features"
        )
    numeric = [c for c in encoder.feature_names_in_ if kinds[c] == "numeric"]
    mean = [encoder.means_[c] for c in numeric] + [0.0] * (width - len(numeric))
    std = [encoder.stds_[c] for c in numeric] + [1.0] * (width - len(numeric))
    doc = (
        f"float32 (batch, {width}): the table's numeric columns as they are, then each "
        "text column's one-hot 0/1 columns, in the order of metadata 'feature_names'"
    )
    return replace(
        graph,
        module=nn.Sequential(Standardise(mean, std), graph.module),
        input_doc=doc,
        metadata={**graph.metadata, "feature_names": names},
    )


def write_onnx(graph: OnnxGraph, path: str | os.PathLike[str], model: str = "model") -> None:
    """Trace ``graph`` on the CPU and write it to ``path`` atomically.

    Raises
    ------
    NotExportableError
        If torch cannot export the module (a user-supplied layer, say).
    ImportError
        Without the ``onnx`` package (the ``export`` extra).
    """
    try:
        import onnx
    except ImportError:
        raise ImportError(f"exporting to ONNX needs the onnx package: {EXTRA}") from None
    module = _cpu_copy(graph.module)
    example = graph.example.detach().cpu()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                module,
                (example,),
                buffer,  # type: ignore[arg-type]  # the TorchScript exporter takes a file
                dynamo=False,
                opset_version=OPSET,
                input_names=[INPUT],
                output_names=[graph.output],
                dynamic_axes={INPUT: graph.dynamic, graph.output: graph.output_dynamic},
            )
    except Exception as exc:  # a layer torch cannot trace: one line, naming the model
        text = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise NotExportableError(f"{model} could not be exported to ONNX: {text}") from exc
    proto = onnx.load_from_string(buffer.getvalue())
    if [i.name for i in proto.graph.input] != [INPUT]:  # traced as a constant
        raise NotExportableError(
            f"{model} could not be exported to ONNX: the traced model does not read its input "
            "(a layer that computes outside torch?)"
        )
    proto.doc_string = f"cortexkit {model}. input: {graph.input_doc}. output: {graph.output_doc}"
    proto.graph.input[0].doc_string = graph.input_doc
    proto.graph.output[0].doc_string = graph.output_doc
    meta = {"cortexkit_model": model, "input": graph.input_doc, "output": graph.output_doc}
    meta.update({k: json.dumps(v, default=str) for k, v in graph.metadata.items()})
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    _check_batch(data, module, example, model)
    atomic_write_bytes(path, data, what="ONNX file")


def _check_batch(data: bytes, module: nn.Module, example: Tensor, model: str) -> None:
    """Run the ONNX model (where onnxruntime is installed) on three rows, one more than the
    traced example has, against torch: a layer that fixed the batch size while being traced
    (``len(x)`` in a user's module, say) fails here, before anything is written."""
    try:
        import onnxruntime
    except ImportError:
        return
    rows = torch.cat([example, example[:1]])
    rows = rows * torch.linspace(0.9, 1.1, len(rows)).reshape(-1, *[1] * (rows.dim() - 1))
    with torch.no_grad():
        want = module(rows).numpy()
    try:
        session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        got = session.run(None, {INPUT: rows.numpy()})[0]
        same = got.shape == want.shape and bool(
            np.allclose(got, want, rtol=1e-3, atol=1e-4, equal_nan=True)
        )
    except Exception:  # onnxruntime refused the batch: the same failure
        same = False
    if not same:
        raise NotExportableError(
            f"{model} could not be exported to ONNX: the traced model does not give torch's "
            "outputs for another batch size (a layer that reads a tensor's length as a number?)"
        )


def _cpu_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` on the CPU, in evaluation mode, in the default memory format:
    exporting never moves or retrains the estimator's own network."""
    import copy

    copied = copy.deepcopy(module).cpu().eval()
    for p in [*copied.parameters(), *copied.buffers()]:
        if p.dim() == 4:
            p.data = p.data.contiguous()
    return copied
