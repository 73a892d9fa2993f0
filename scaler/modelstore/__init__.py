"""Where fitted models live between the training job and the controller (see `ModelStore`)."""

from scaler.modelstore.base import ModelStore, model_key
from scaler.modelstore.directory import DirectoryModelStore

__all__ = ["DirectoryModelStore", "ModelStore", "model_key"]
