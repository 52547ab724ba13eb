"""Python client of fstore: online features from the feature server and the control plane's
read operations (features, jobs, deployments, runs), and point-in-time training sets through the
control plane. Typed (py.typed); standard library only, except training sets (pandas and pyarrow:
``pip install './clients/python[training]'``).

Modules: ``online`` (feature server), ``control_plane``, ``training``, ``errors``, ``types``.
"""

from .control_plane import ControlPlaneClient
from .errors import (
    ApiError,
    ApiUnavailable,
    ErrorDetail,
    FstoreError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from .online import FeatureServerClient
from .training import TrainingSetError, get_historical_features

__all__ = [
    "ApiError",
    "ApiUnavailable",
    "ControlPlaneClient",
    "ErrorDetail",
    "FeatureServerClient",
    "FstoreError",
    "InvalidRequest",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "TrainingSetError",
    "get_historical_features",
]
