"""The bottom layer: model-file and checkpoint envelopes, devices, files and memory.

Nothing here imports any other part of cortexkit but its exceptions, so every layer above
(the building blocks, the training loop, the estimators, the command line) can use it.
"""
