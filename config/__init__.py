"""Settings: the only code that reads the environment."""

from config.settings import PROJECT_ROOT, ConfigError, Settings, load_settings

__all__ = ["PROJECT_ROOT", "ConfigError", "Settings", "load_settings"]
