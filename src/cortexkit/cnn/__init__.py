"""Computer vision: the convolutional network classifier and what it is made of.

>>> from cortexkit.cnn import CNNClassifier
"""

from cortexkit.cnn.estimator import CNNClassifier

__all__ = ["CNNClassifier"]
