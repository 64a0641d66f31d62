"""qualcode installed like any tool: the wheel in a fresh virtual environment, used from a
folder outside the checkout; and the console output a Windows pipe would get.

The wheel test builds the sdist and the wheel from it with uv (``make`` puts uv in
``.uv/``), installs the wheel with the locked dependencies (from uv's cache when they were
synced before) and runs a researcher's first commands. Paths hold spaces and Chinese.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""


def find_uv() -> str:
    local = REPO / ".uv" / BIN / f"uv{EXE}"
    found = str(local) if local.exists() else shutil.which("uv")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have uv: make creates .uv/")
        pytest.skip("needs uv (make creates .uv/)")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that points Python at the checkout or its venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONHOME")
    }
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


@pytest.mark.install
def test_the_wheel_works_from_any_folder(tmp_path: Path) -> None:
    uv = find_uv()
    dist, venv = tmp_path / "dist", tmp_path / "工具 venv"
    env = clean_env()

    def uv_run(*args: str | Path) -> None:
        subprocess.run([uv, *map(str, args)], check=True, env=env, capture_output=True)

    uv_run("build", "--quiet", "-o", dist, REPO)  # the sdist, then the wheel built from it
    wheel = next(dist.glob("qualcode-*.whl"))
    requirements = tmp_path / "requirements.txt"
    uv_run(
        "export",
        "--quiet",
        "--project",
        REPO,
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-hashes",
        "-o",
        requirements,
    )
    uv_run("venv", "--quiet", "--python", sys.executable, venv)
    python = venv / BIN / f"python{EXE}"
    uv_run("pip", "install", "--quiet", "--python", python, "-r", requirements, wheel)

    elsewhere = tmp_path / "我的 文档"
    elsewhere.mkdir()
    env = clean_env(
        PATH=f"{venv / BIN}{os.pathsep}{os.environ['PATH']}", QUALCODE_HOME=str(tmp_path / "home")
    )

    def qualcode(*args: str) -> str:
        result = subprocess.run(
            [str(venv / BIN / f"qualcode{EXE}"), *args],
            check=False,
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    where = subprocess.run(
        [str(python), "-c", "import qualcode; print(qualcode.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)

    assert "with 22 codes and 6 transcripts" in qualcode("init", "样本 研究", "--sample")
    assert "A06_liu" in qualcode("list", "样本 研究", "-o", "list.csv") + (
        elsewhere / "list.csv"
    ).read_text(encoding="utf-8-sig")
    qualcode("code", "样本 研究", "A01_zhang", "5", "problems.awareness", "--coder", "wang")
    qualcode("report", "frequencies", "样本 研究", "-o", "freq.csv")
    table = (elsewhere / "freq.csv").read_text(encoding="utf-8-sig")
    awareness = next(line for line in table.splitlines() if "problems.awareness" in line)
    assert ",1," in awareness
    assert "Usage: qualcode serve" in qualcode("serve", "--help")


def test_chinese_output_reaches_a_console_whose_code_page_cannot_encode_it(
    sample_project_dir: Path,
) -> None:
    # What a Windows pipe or redirected file gets: the ANSI code page, here cp1252.
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [sys.executable, "-m", "qualcode", "codebook", "show", str(sample_project_dir)],
        check=False,
        capture_output=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert "宣传推广" in result.stdout.decode("utf-8")


def test_init_sample_builds_the_sample_study_in_a_folder_with_spaces_and_chinese(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from qualcode.cli import main
    from qualcode.store import Project

    folder = tmp_path / "研究 项目" / "示例 study"
    result = CliRunner().invoke(main, ["init", str(folder), "--sample"])
    assert result.exit_code == 0, result.output
    with Project.open(folder) as project:
        assert len(project.transcript_names()) == 6
        assert project.attributes()  # the participants' table came along
    again = CliRunner().invoke(main, ["init", str(folder), "--sample"])
    assert again.exit_code == 1 and "already exists" in again.output
    both = CliRunner().invoke(
        main,
        [
            "init",
            str(tmp_path / "x"),
            "--sample",
            "--codebook",
            str(REPO / "codebooks" / "gov_service.yaml"),
        ],
    )
    assert both.exit_code == 2 and "--sample" in both.output
