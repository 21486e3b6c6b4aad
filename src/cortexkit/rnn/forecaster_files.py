"""A forecaster's model file: the network, the transform, the look-back and season, and
the tails of its series (to continue them) with the errors its intervals come from.

:class:`ForecasterFiles` is a part of :class:`~cortexkit.rnn.forecaster.RNNForecaster`,
kept apart by idea; it is not for use on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit.rnn.transforms import SeriesTransform

if TYPE_CHECKING:
    from cortexkit.rnn.network import SequenceNetwork, SequenceObjective

__all__ = ["ForecasterFiles"]


class ForecasterFiles:
    """The model-file methods of :class:`~cortexkit.rnn.forecaster.RNNForecaster`."""

    fitted_params_: dict[str, Any]
    network_: Any
    season_: int
    lookback_: int
    blend_: float
    random_walk_: bool
    level_: str
    n_features_in_: int
    series_ids_: list[str]
    _transform: SeriesTransform
    _tails: list[np.ndarray]
    _residuals: np.ndarray
    _relative: bool
    _several: bool
    _columns: list[str]
    _objective: SequenceObjective

    if TYPE_CHECKING:

        def _device(self) -> torch.device: ...
        def _common_state(self) -> dict[str, Any]: ...
        def _set_common_state(self, meta: dict[str, Any]) -> None: ...
        def _network(self, outputs: int, generator: torch.Generator) -> SequenceNetwork: ...
        def _new_objective(self) -> SequenceObjective: ...

    # -- model files --------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            **self._common_state(),
            "layer_sizes": self.network_.layer_sizes,
            "mean": self._transform.mean.tolist(),
            "std": self._transform.std.tolist(),
            "season_": self.season_,
            "columns": self._columns,
        }
        tensors = {f"net.{k}": v.detach().cpu() for k, v in self.network_.state_dict().items()}
        meta["lookback_"] = int(self.lookback_)
        meta["blend_"] = float(self.blend_)
        meta["random_walk_"] = bool(self.random_walk_)
        meta["level_"] = str(self.level_)
        meta["tail_lengths"] = [len(t) for t in self._tails]
        meta["series_ids_"], meta["several"] = list(self.series_ids_), bool(self._several)
        tail = np.concatenate(self._tails)
        tensors["tail"] = torch.from_numpy(np.array(tail, dtype=np.float64, order="C"))
        tensors["residuals"] = torch.from_numpy(np.array(self._residuals, order="C"))
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self._relative = True
        self.lookback_ = int(meta["lookback_"])
        if self.lookback_ < 1:
            raise ValueError(f"lookback_ is {self.lookback_}, not a number of steps (1 or more)")
        self.blend_ = float(meta.get("blend_", 1.0))  # 1: a file from before the blend
        self.random_walk_ = bool(meta.get("random_walk_", False))  # False: from before it
        self.level_ = str(meta.get("level_", self.fitted_params_["level"]))
        if self.level_ not in ("last", "season"):
            raise ValueError(f"level_ is {self.level_!r}, not 'last' or 'season'")
        if not 0.0 <= self.blend_ <= 1.0:
            raise ValueError(f"blend_ is {self.blend_}, not a weight in [0, 1]")
        sizes = [int(v) for v in meta["layer_sizes"]]
        net = self._network(sizes[-1], torch.Generator())  # weights come from the file
        if net.layer_sizes != sizes:
            raise ValueError(
                f"the network's layers {sizes} do not match hidden_layers="
                f"{self.fitted_params_['hidden_layers']!r} and {self.n_features_in_} columns"
            )
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        self.network_ = net.to(self._device())
        p = self.fitted_params_
        self._transform = SeriesTransform.from_state(meta, log=p["log"], difference=p["difference"])
        self.season_ = int(meta["season_"])
        self._columns = list(meta["columns"])
        target = self.fitted_params_["target"]
        if isinstance(target, str) and self._columns[:1] != [target]:
            raise ValueError(f"target={target!r} is not the first of the columns {self._columns}")
        tail = tensors["tail"].double().numpy()
        lengths = [int(n) for n in meta.get("tail_lengths", [len(tail)])]
        if sum(lengths) != len(tail) or min(lengths, default=0) < 1:
            raise ValueError(f"tail_lengths {lengths} do not split the {len(tail)} saved steps")
        self._tails = np.split(tail, np.cumsum(lengths)[:-1])
        self.series_ids_ = [str(i) for i in meta.get("series_ids_", ["0"])]
        self._several = bool(meta.get("several", False))
        if len(self.series_ids_) != len(self._tails):
            raise ValueError(f"{len(self.series_ids_)} series ids for {len(self._tails)} tails")
        self._residuals = tensors["residuals"].double().numpy()
        self._objective = self._new_objective()
