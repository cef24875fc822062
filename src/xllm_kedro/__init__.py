"""xllm_kedro: cross-lingual (CoIT) and multilingual (MuIT) instruction tuning as a Kedro project."""

__version__ = "0.1.0"
