"""XAG-based logic optimisation: the network, cuts, NPN classes, exact circuits, rewriting, SAT sweeping."""
