"""One configuration object for the CLI, the service and the pipeline.

Every field can be set through an environment variable ``ALLIANCE_<NAME>`` (or a
``.env`` file in the working directory). Defaults give a laptop set-up with no
server: a SQLite file under ``./var``, the bundled tagger model, no generative model.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALLIANCE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Folder for the SQLite database, reports and run outputs."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file '<data_dir>/alliance.db'. "
        "Set a postgresql+psycopg:// URL to use PostgreSQL.",
    )
    models_dir: Path = Field(
        default=PROJECT_ROOT / "models", description="Folder that holds the shipped model folders."
    )
    model: str = Field(
        default="alliance-tagger", description="Tagger model: a name under models_dir or a path."
    )
    max_upload_bytes: int = Field(
        default=10_000_000, gt=0, description="Largest transcript file accepted, in bytes."
    )
    max_turn_chars: int = Field(
        default=2_000, gt=0, description="Longer turns are truncated for tagging (with a warning)."
    )
    batch_size: int = Field(default=64, gt=0, description="Turns encoded per batch.")
    encoder_precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="Encoder arithmetic: 'auto' uses bfloat16 where the CPU computes it "
        "natively (AVX512-BF16/AMX; ~1.8x faster, same tags), else float32.",
    )
    host: str = Field(default="127.0.0.1", description="Address the service binds to.")
    port: int = Field(default=8000, gt=0, lt=65536, description="Port the service listens on.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; empty means CORS is closed."
    )
    rate_limit_per_minute: int = Field(
        default=120,
        gt=0,
        description="Requests per minute allowed for one API token (a token bucket that "
        "holds as many requests as one minute allows); over it the API answers 429.",
    )
    max_chat_chars: int = Field(
        default=4_000, gt=0, description="Longest chat message accepted, in characters."
    )
    session_cache_size: int = Field(
        default=64,
        ge=0,
        description="Coded sessions kept decoded in memory per process for chat and "
        "feedback (0 turns the cache off).",
    )
    redact_uploads: bool = Field(
        default=False,
        description="Redact names, phone numbers, emails, addresses and dates on upload.",
    )
    llm_backend: str = Field(
        default="none",
        description="Optional phrasing backend for the chat coach: 'none', 'local' (SmolLM2) "
        "or an OpenAI-compatible base URL the clinic runs itself.",
    )
    llm_model: str = Field(
        default="", description="Model name sent to an OpenAI-compatible backend (llm_backend URL)."
    )
    llm_api_key: str = Field(
        default="", description="API key for an OpenAI-compatible backend; empty sends none."
    )
    log_level: str = Field(default="INFO", description="Logging level.")
    drills_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra folders (or files) of drill YAML loaded beside prompts/drills: "
        "trainers' own drills. A JSON list or paths separated by the OS path separator.",
    )

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("drills_dirs", mode="before")
    @classmethod
    def _paths(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'alliance.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
