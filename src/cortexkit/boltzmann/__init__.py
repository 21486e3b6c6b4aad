"""Boltzmann machines: the shared units and CD statistics (:mod:`.units`), the RBM, the
DBN and the DBM."""
