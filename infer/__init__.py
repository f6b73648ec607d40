"""vidiac inference: restore Vietnamese diacritics with a trained byte-level T5."""
from .config import Config, ConfigError, load_config
from .constraint import SkeletonConstraint
from .restorer import ModelDirError, Restorer

__all__ = ["Config", "ConfigError", "ModelDirError", "Restorer", "SkeletonConstraint", "load_config"]
