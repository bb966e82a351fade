"""Training: the policy update loop behind `rlvr train` (see loop.py), the losses being in rlvrkit.losses."""
