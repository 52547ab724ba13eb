"""fstore's Python client: `pip install ./clients/python`."""

from .training import TrainingSetError, get_historical_features

__all__ = ["TrainingSetError", "get_historical_features"]
