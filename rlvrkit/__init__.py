"""rlvrkit: reinforcement learning with verifiable rewards, as Unix pipelines."""

__version__ = "0.1.0"
