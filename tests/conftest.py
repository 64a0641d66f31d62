"""Shared fixtures: the real sample study imported into a real project, once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qualcode.store import Project
from qualcode.study import import_files, init_project

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CODEBOOK = REPO / "codebooks" / "gov_service.yaml"
SAMPLE_TRANSCRIPTS = sorted(
    p for p in (REPO / "transcripts").iterdir() if p.suffix in (".txt", ".md", ".docx")
)
SAMPLE_ATTRIBUTES = REPO / "transcripts" / "participants.csv"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _english_tables_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Report tables speak the UI language (QUALCODE_LANG, the saved setting, the locale):
    tests read English unless they ask, whatever the developer's machine says. (The TUI's
    conftest sets Chinese for its tests after this.)"""
    monkeypatch.setenv("QUALCODE_LANG", "en")


@pytest.fixture(scope="session")
def _sample_project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "study"
    with init_project(folder, SAMPLE_CODEBOOK) as project:
        import_files(project, SAMPLE_TRANSCRIPTS, SAMPLE_ATTRIBUTES)
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


@pytest.fixture
def sample_project_dir(_sample_project_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sample study as an imported project folder."""
    folder = tmp_path / "study"
    shutil.copytree(_sample_project_template, folder)
    return folder


@pytest.fixture
def sample_project(sample_project_dir: Path):
    with Project.open(sample_project_dir) as project:
        yield project
