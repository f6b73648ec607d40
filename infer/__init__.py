"""vidiac inference: restore Vietnamese diacritics with a trained byte-level T5."""
from .config import Config, ConfigError, load_config
from .restorer import ModelDirError, Restorer

__all__ = ["Config", "ConfigError", "ModelDirError", "Restorer", "load_config"]
