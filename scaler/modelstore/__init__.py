"""Where fitted models live between the training job and the controller (see `ModelStore`)."""

from scaler.modelstore.base import ModelStore
from scaler.modelstore.directory import DirectoryModelStore

__all__ = ["DirectoryModelStore", "ModelStore"]
