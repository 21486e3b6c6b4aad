"""The convolutional network classifier: images in, one class per image out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from torch import Tensor, nn

from cortexkit.cnn.base import BaseCNN
from cortexkit.defaults import CNN

__all__ = ["CNNClassifier"]


class CNNClassifier(ClassifierMixin, BaseCNN):
    """A convolutional neural network that classifies images.

    The network is built from its parameters: ``conv_layers`` blocks of
    ``convs_per_block`` convolutions (each followed by batch normalisation and ReLU), each
    block closed by 2x2 pooling; then a flattening (or global-average-pooling) head, dense
    ReLU layers with dropout, and one softmax unit per class, trained with cross-entropy.
    A ``torch.nn.Module`` of your own can replace that body. The images are normalised
    per channel with the training images' mean and standard deviation (kept in the model),
    and augmented while training by random shifts (and, if asked, flips and rotations).

    The defaults (:data:`cortexkit.defaults.CNN`, shared with ``cortexkit train cnn``)
    reach 99.3-99.5% on MNIST from 8,000 training images (``bench/cnn.py``).

    ``X`` may be an array of images ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)``,
    uint8 (0-255) or float, with labels ``y``; the path of a folder with one subfolder of
    images per class (``y=None``); or a ``Dataset`` of ``(image, label)`` pairs (an
    :class:`~cortexkit.data.ImageFolder`, say), or a ``DataLoader`` over one.

    Parameters
    ----------
    conv_layers : int or sequence of int, default=(32, 64)
        Filters of each convolution block (an int is one block).
    convs_per_block : int, default=2
        Convolutions per block, all with that block's number of filters.
    kernel_size : int, default=3
        Height and width of every convolution's filters ("same" padding keeps the size).
    pooling : {"max", "avg"} or None, default="max"
        The 2x2 pooling after each block (skipped once the maps are 1 pixel); None: none.
    batch_norm : bool, default=True
        Batch normalisation after each convolution.
    dropout : float, default=0.25
        Dropout rate before each dense layer, in [0, 1).
    head : {"flatten", "gap"}, default="flatten"
        How the last feature maps become a vector: flattened, or averaged over the image
        (global average pooling: one value per filter, whatever the image size).
    hidden_layers : int or sequence of int, default=(128,)
        ReLU units of each hidden dense layer of the head, from the input side (an int is
        one layer; ``()``: none).
    module : torch.nn.Module or None, default=None
        A network of your own in place of the one above: it takes normalised
        ``(N, C, H, W)`` float images and returns ``(N, n_classes)`` raw scores. It is
        copied at ``fit``. A model with one cannot be saved to a model file (which holds no
        code).
    image_size : int, (int, int) or None, default=None
        ``(height, width)`` every image is resized to (an int for a square); None keeps
        the training images' size (a folder's: the size most of its images have).
    channels : {"auto", "first", "last"}, default="auto"
        Where a 4-d array's channel axis is: ``"auto"`` takes the last axis when it has 1,
        3 or 4 entries, else the second when it has.
    color_mode : {"L", "RGB"} or None, default=None
        The colour mode a folder's images are converted to; None: gray when every image
        is, else RGB.
    augment : str, sequence of str or None, default=("shift",)
        Random changes to each training image, redrawn each epoch: ``"shift"`` (by up to
        ``max_shift`` pixels), ``"flip"`` (left-right) and ``"rotate"`` (by up to
        ``max_rotation`` degrees). None or ``()``: none.
    max_shift : int, default=2
        The largest shift, in pixels, at least 0.
    max_rotation : float, default=10.0
        The largest rotation, in degrees, in [0, 180].
    channels_last : bool, default=True
        Keep activations in channels-last memory (NHWC), which the CPU's convolution
        kernels run faster on.
    max_memory : "auto" or int, default="auto"
        Bytes an image folder may take in memory (as uint8); a larger one is streamed from
        disk. ``"auto"``: a quarter of the memory available.
    num_workers : int, default=0
        Worker processes that read a streamed folder or Dataset.
    skip_bad : bool, default=False
        Skip a folder's unreadable images with a warning, instead of raising.
    batch_size : int or None, default=128
        Images per weight update: ``1`` is stochastic gradient descent, ``None`` batch
        gradient descent, ``n`` mini-batch gradient descent.
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size (``None`` uses ``batch_size``).
    epochs : int, default=12
        Passes over the training images.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adamw"
        A name (see :data:`cortexkit.train.OPTIMIZERS`), an optimiser class or factory.
    learning_rate : float, default=3e-3
        The step size (the peak of the one-cycle schedule), greater than 0.
    weight_decay : float, default=1e-4
        L2 penalty on the weights, never the biases or batch-norm parameters (decoupled
        for ``"adamw"``).
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.0
        Share of the training images, in [0, 1), held out to report ``val_loss`` and
        ``val_accuracy`` each epoch and to monitor early stopping.
    validation_split : {"random", "last"}, default="random"
        How the validation images are chosen (random is stratified by class).
    early_stopping : bool, default=False
        Stop when the monitored loss has not improved for ``patience`` epochs and restore
        the best epoch's weights.
    patience : int, default=10
        Epochs without improvement before early stopping, at least 1.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default="onecycle"
        ``"onecycle"`` warms the learning rate up to ``learning_rate`` over the first 30%
        of the steps, then anneals it to nearly 0 by the last epoch; ``"plateau"`` halves
        it after 5 epochs without improvement; None keeps it constant.
        ``"cosine"`` anneals it to 0 along half a cosine, batch by batch.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling, the augmentation, dropout and the
        validation split, for this fit only.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present, else the CPU.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a checkpoint to every ``checkpoint_every`` epochs and after the last.
    checkpoint_every : int, default=1
        Epochs between checkpoints, at least 1.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists. Needs ``checkpoint``.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    loss_curve_ : list of float
        The training loss of each epoch.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted (a folder's: its subfolders' names).
    network_ : torch.nn.Module
        The trained network: ``network_.preprocess`` (normalisation and augmentation),
        then ``network_.body`` (``features`` and ``classifier`` for the built-in one).
    n_channels_ : int
        Channels of the training images (1 gray, 3 RGB).
    image_size_ : tuple of (int, int)
        ``(height, width)`` of the images the network takes.
    color_mode_ : str or None
        The mode a folder's images were converted to (``"L"`` or ``"RGB"``); None when
        trained on arrays.
    mean_ : ndarray of shape (n_channels_,)
        Per-channel mean of the training images, in their own units.
    std_ : ndarray of shape (n_channels_,)
        Per-channel standard deviation of the training images.
    history_ : dict of lists of length n_iter_
        One value per epoch under ``"loss"``, ``"accuracy"`` (on a sample of training
        images), ``"val_loss"`` and ``"val_accuracy"`` (with a validation set),
        ``"learning_rate"`` and ``"time"``; text entries ``"stopped"`` and ``"validation"``
        say why training ended early or no validation set was held out.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.reshape(-1, 8, 8)  # 8x8 gray images
    >>> clf = CNNClassifier((16, 32), convs_per_block=1, hidden_layers=(64,), augment=None,
    ...                     epochs=6, random_state=0).fit(X[:1200], y[:1200])
    >>> clf.score(X[1200:], y[1200:]) > 0.85
    True
    >>> clf.predict_proba(X[:2]).shape, clf.image_size_
    ((2, 10), (8, 8))
    """

    def __init__(
        self,
        conv_layers: int | Sequence[int] = CNN.conv_layers,
        *,
        convs_per_block: int = CNN.convs_per_block,
        kernel_size: int = CNN.kernel_size,
        pooling: str | None = CNN.pooling,
        batch_norm: bool = CNN.batch_norm,
        dropout: float = CNN.dropout,
        head: str = CNN.head,
        hidden_layers: int | Sequence[int] = CNN.hidden_layers,
        module: nn.Module | None = None,
        image_size: int | Sequence[int] | None = None,
        channels: str = "auto",
        color_mode: str | None = None,
        augment: str | Sequence[str] | None = CNN.augment,
        max_shift: int = CNN.max_shift,
        max_rotation: float = 10.0,
        channels_last: bool = True,
        max_memory: int | str = "auto",
        num_workers: int = 0,
        skip_bad: bool = False,
        batch_size: int | None = CNN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = CNN.epochs,
        optimizer: Any = CNN.optimizer,
        learning_rate: float = CNN.learning_rate,
        weight_decay: float = CNN.weight_decay,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = CNN.validation_fraction,
        validation_split: str = "random",
        early_stopping: bool = CNN.early_stopping,
        patience: int = CNN.patience,
        lr_schedule: str | None = CNN.lr_schedule,
        clip_grad_norm: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.conv_layers = conv_layers
        self.convs_per_block = convs_per_block
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.head = head
        self.hidden_layers = hidden_layers
        self.module = module
        self.image_size = image_size
        self.channels = channels
        self.color_mode = color_mode
        self.augment = augment
        self.max_shift = max_shift
        self.max_rotation = max_rotation
        self.channels_last = channels_last
        self.max_memory = max_memory
        self.num_workers = num_workers
        self.skip_bad = skip_bad
        self.batch_size = batch_size
        self.gradient_descent = gradient_descent
        self.epochs = epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.clip_grad_norm = clip_grad_norm
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    # -- the targets ----------------------------------------------------------------------

    def _targets(self, y: Any, fitting: bool, classes: Any = None) -> np.ndarray:
        """Class indices of the labels ``y`` (learning ``classes_`` when fitting)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional (one label per image); got shape {y.shape}")
        check_classification_targets(y)
        codes = self._encode_classes(y, classes) if fitting else self._class_codes(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_.tolist()[0]!r}); a classifier "
                "needs at least 2"
            )
        return codes

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss(self, out: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(out, y)

    @torch.no_grad()
    def _metric(self, X: Tensor, y: Tensor) -> dict[str, float]:
        out = self._forward_images(self.network_, X)
        accuracy = float((out.argmax(1) == y).float().mean())
        return {"loss": float(F.cross_entropy(out, y)), "accuracy": accuracy}

    # -- fitting and predicting -----------------------------------------------------------

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> CNNClassifier:
        """Train on images ``X`` with labels ``y`` (``y=None`` for a folder or a Dataset;
        see the class docstring). ``validation_data=(X_val, y_val)`` gives a validation
        set of your own."""
        return super().fit(X, y, **fit_params)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> CNNClassifier:
        """One more epoch over ``(X, y)``; the first call builds the network (``classes=``
        then lists every class later calls may show)."""
        return super().partial_fit(X, y, **kwargs)  # type: ignore[no-any-return]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_images, n_classes)``, columns as ``classes_``."""
        return torch.softmax(self._raw(X), dim=1).cpu().numpy().astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each image."""
        return self._decode_classes(self._raw(X).argmax(1).cpu().numpy())

    # -- figures ------------------------------------------------------------------------

    def plot_filters(self, path: str | os.PathLike[str] | None = None) -> bytes:
        """The first convolution's learned filters, one small image each; written to
        ``path`` (PNG) when given; returns the PNG bytes."""
        from cortexkit.cnn.plots import filters_png

        return filters_png(self, path)

    def plot_feature_maps(self, image: Any, path: str | os.PathLike[str] | None = None) -> bytes:
        """One image (``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``) and the feature maps the
        first convolution block makes of it (after its ReLU, before pooling); written to
        ``path`` when given; returns the PNG bytes."""
        from cortexkit.cnn.plots import feature_maps_png

        return feature_maps_png(self, image, path)
