"""Computer vision: the convolutional network classifier and what it is made of.

>>> from cortexkit.vision import CNNClassifier
"""

from cortexkit.vision.cnn import CNNClassifier

__all__ = ["CNNClassifier"]
