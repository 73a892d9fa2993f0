"""Where fitted models live between the training job and the controller (see `ModelStore`)."""

from forescale.scaler.modelstore.base import ModelStore, model_key
from forescale.scaler.modelstore.directory import DirectoryModelStore

__all__ = ["DirectoryModelStore", "ModelStore", "model_key"]
