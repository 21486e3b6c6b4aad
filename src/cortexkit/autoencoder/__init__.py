"""Autoencoders: the reusable core (the masked reconstruction loss, the dense encoder and
decoder), the estimators and their convolutional network.

The core is what other families build on (AutoRec in :mod:`cortexkit.recommend`):
:func:`masked_mse` counts observed entries only, and :class:`AutoEncoderNetwork` takes its
activations by name.
"""

from cortexkit.autoencoder.estimator import AutoEncoder
from cortexkit.autoencoder.inputs import BottleneckWarning
from cortexkit.autoencoder.losses import gaussian_kl, kl_sparsity, l1_sparsity, masked_mse
from cortexkit.autoencoder.network import AutoEncoderNetwork, decoder_sizes

__all__ = [
    "AutoEncoder",
    "AutoEncoderNetwork",
    "BottleneckWarning",
    "decoder_sizes",
    "gaussian_kl",
    "kl_sparsity",
    "l1_sparsity",
    "masked_mse",
]
