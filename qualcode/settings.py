"""User settings: one small JSON file in qualcode's home folder, overridable by environment.

The home folder is ``$QUALCODE_HOME``, else ``$XDG_DATA_HOME/qualcode``, else the system's
user data folder (``~/.local/share/qualcode`` on Linux; see :func:`home`). It holds
``settings.json`` and the sample study's project, so opening the sample never changes a file
of the repository. Tests point ``QUALCODE_HOME`` at a temporary folder.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from .fileio import atomic_write_text

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
"""The languages of the UI and of report tables."""


def default_language(environ: Mapping[str, str] = os.environ) -> Language:
    """The language to start in: ``QUALCODE_LANG`` if it names one (``zh``, ``en``, or a
    locale such as ``zh_CN``), else Chinese when the first of ``LC_ALL``, ``LC_MESSAGES``
    and ``LANG`` that is set starts with ``zh``, else English."""
    override = environ.get("QUALCODE_LANG", "").strip().lower()
    for lang in LANGUAGES:
        if override.startswith(lang):
            return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def home() -> Path:
    """qualcode's own folder for settings and the sample study's project: the user data
    folder of the system (``%LOCALAPPDATA%\\qualcode`` on Windows, ``~/Library/Application
    Support/qualcode`` on macOS), unless ``QUALCODE_HOME`` or ``XDG_DATA_HOME`` say otherwise."""
    if explicit := os.environ.get("QUALCODE_HOME"):
        return Path(explicit)
    if data := os.environ.get("XDG_DATA_HOME"):
        return Path(data) / "qualcode"
    if sys.platform == "win32":  # local, not roaming: interviews stay on this machine
        local = os.environ.get("LOCALAPPDATA")
        return Path(local or Path.home() / "AppData" / "Local") / "qualcode"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "qualcode"
    return Path.home() / ".local" / "share" / "qualcode"


@dataclass
class Settings:
    coder: str = ""
    """Who is coding; asked once, then remembered. ``QUALCODE_CODER`` overrides."""

    language: str = ""
    """UI language, ``zh`` or ``en``; empty means: follow the locale. ``QUALCODE_LANG`` overrides."""

    keys: dict[str, str] = field(default_factory=dict)
    """Key rebinding: binding id -> keys, e.g. ``{"apply_code": "c,enter"}``."""

    panes: dict[str, str] = field(default_factory=dict)
    """The workbench's side panes (``transcripts``, ``codebook``) the researcher chose to
    show or hide (``shown``, ``hidden``); a pane not named here narrows and hides as the
    terminal shrinks."""

    @classmethod
    def load(cls) -> Settings:
        """The saved settings (defaults where the file is missing or unreadable), then the
        environment's overrides."""
        path = home() / "settings.json"
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        defaults = asdict(cls())
        # A value of the wrong kind (a hand-edited file) is dropped like an unknown key, so
        # that it cannot stop every command later on.
        settings = (
            cls(**{k: v for k, v in saved.items() if k in defaults and _fits(v, defaults[k])})
            if isinstance(saved, dict)
            else cls()
        )
        settings.coder = os.environ.get("QUALCODE_CODER", settings.coder)
        settings.language = os.environ.get("QUALCODE_LANG", settings.language)
        return settings

    def save(self) -> None:
        folder = home()
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(
            folder / "settings.json", json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"
        )


def _fits(value: object, default: object) -> bool:
    """Whether a saved value has the shape of its setting's default: text for text, a
    mapping of text to text for a mapping."""
    if isinstance(default, dict):
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    return isinstance(value, type(default))
