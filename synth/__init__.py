"""synth: synthetic training data for industrial computer vision."""

__version__ = "0.1.0"
