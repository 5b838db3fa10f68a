"""loopscope: watch the real PyTorch training loop run, one phase at a time."""

__version__ = "0.1.0"
