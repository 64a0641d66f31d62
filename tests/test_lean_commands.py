"""Each command pays only for what it uses: what a command imports is checked in a fresh
process (``python -X importtime``), and the spaCy-free token pattern check agrees with spaCy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.autocode import Rules
from qualcode.codebook import (
    TOKEN_ATTRS,
    TOKEN_PREDICATES,
    merge_codebooks,
    parse_codebook,
    token_pattern_problem,
)
from qualcode.errors import QualcodeError
from qualcode.model import Code, Codebook

from .conftest import SAMPLE_CODEBOOK


def imported_by(args: list[str], cwd: Path) -> set[str]:
    """The modules ``python -m qualcode ARGS`` imports, run as a user would."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "qualcode", *args],
                          cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:")}


def test_init_and_validate_do_not_import_spacy_for_a_codebook_with_token_patterns(tmp_path):
    assert "token_patterns" in SAMPLE_CODEBOOK.read_text(encoding="utf-8")
    modules = imported_by(["init", str(tmp_path / "p"), "--codebook", str(SAMPLE_CODEBOOK)],
                          tmp_path)
    assert "qualcode.codebook" in modules and "spacy" not in modules
    assert "spacy" not in imported_by(["codebook", "validate", str(SAMPLE_CODEBOOK)], tmp_path)


def test_a_report_imports_only_the_scipy_function_it_uses(sample_project_dir, tmp_path):
    modules = imported_by(["report", "crosstab", str(sample_project_dir), "--by", "age_group"],
                          tmp_path)
    assert "scipy.stats._stats_py" not in modules and "scipy.stats" not in modules
    frequencies = imported_by(["report", "frequencies", str(sample_project_dir)], tmp_path)
    assert not any(m.startswith("scipy") for m in frequencies)


def test_list_and_show_to_a_file_build_no_terminal_table(sample_project_dir, tmp_path):
    for args in (["list", str(sample_project_dir), "-o", str(tmp_path / "l.csv")],
                 ["show", str(sample_project_dir), "A01", "-o", str(tmp_path / "s.csv")]):
        assert "rich.table" not in imported_by(args, tmp_path)
    assert (tmp_path / "s.csv").read_text(encoding="utf-8-sig").startswith("index,start,end")


def spacy_errors(pattern: object) -> list[str]:
    from spacy.schemas import validate_token_pattern

    return validate_token_pattern(pattern)


def test_the_attribute_and_predicate_lists_are_spacys():
    from spacy.schemas import TokenPattern, TokenPatternNumber, TokenPatternString

    def aliases(model) -> set[str]:
        fields = getattr(model, "model_fields", None) or model.__fields__
        return {field.alias.upper() for field in fields.values()}

    assert aliases(TokenPattern) == TOKEN_ATTRS
    assert aliases(TokenPatternString) | aliases(TokenPatternNumber) == TOKEN_PREDICATES


PATTERNS = [
    [{"LOWER": "方便"}], [{"lower": "方便"}], [{"LOWR": "方便"}], [{"LOWER": {"IN": ["挺", "很"]}}],
    [{"LOWER": {"in": ["挺"]}}], [{"LOWER": {"ONE_OF": ["挺"]}}], [{"OP": "+", "ORTH": "很"}],
    [{"OP": "{2,}", "ORTH": "很"}], [{"OP": "{,3}", "ORTH": "很"}], [{"OP": "{}", "ORTH": "很"}],
    [{"OP": "++", "ORTH": "很"}], [{"LENGTH": {">=": 2}}], [{"LENGTH": {"=>": 2}}],
    [{"IS_PUNCT": True}], [{"TEXT": {"REGEX": "^不"}}], [{"TEXT": {"FUZZY3": "方便"}}],
    [{"TEXT": None}], [{}], [{"_": {"x": "y"}}], [{"ORTH": "好"}, {"IS_SENT_START": False}],
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_what_the_quick_check_refuses_spacy_refuses_too(pattern):
    ours = token_pattern_problem(pattern)
    if ours is not None:
        assert spacy_errors(pattern), pattern
    if any(isinstance(k, str) and k.upper() not in TOKEN_ATTRS for token in pattern
           for k in token):
        assert ours is not None  # a misspelt attribute is caught when the codebook loads


def test_what_only_spacy_can_tell_is_said_when_rules_are_compiled():
    book = parse_codebook(
        "qualcode_codebook: 1\nname: t\ncodes:\n  - id: a\n    label: 甲\n"
        "    token_patterns:\n      - [{LOWER: {IN: 方便}}]\n")
    with pytest.raises(QualcodeError, match="code 'a': token pattern .*LOWER"):
        Rules(book)


def placed_one_by_one(ours: list[str], theirs: list[str]) -> list[str]:
    """The order a merge gives a flat codebook, placing theirs one at a time (as the merge
    once did, in time quadratic in the codebook's size): ours in our order, each code only
    theirs has right after its nearest preceding sibling in theirs, else first."""
    siblings = list(ours)
    for i, code_id in enumerate(theirs):
        if code_id in ours:
            continue
        anchor = next((s for s in reversed(theirs[:i]) if s in siblings), None)
        siblings.insert(siblings.index(anchor) + 1 if anchor else 0, code_id)
    return siblings


@pytest.mark.parametrize("seed", range(4))
def test_merging_a_flat_codebook_places_theirs_as_one_by_one_would(seed):
    import random

    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(600)]
    ours = rng.sample(ids, 200)
    theirs = rng.sample(ids, 300)
    merged = merge_codebooks(Codebook("ours", [Code(i, i) for i in ours]),
                             Codebook("theirs", [Code(i, i) for i in theirs]))
    assert [c.id for c in merged.codebook.codes] == placed_one_by_one(ours, theirs)


def test_pearson_chi_square_is_scipys_without_continuity_correction():
    import numpy as np
    from scipy.stats import chi2_contingency

    from qualcode.analysis import pearson_chi_square

    rng = np.random.default_rng(3)
    for columns in (2, 3, 6):
        table = rng.integers(1, 60, size=(2, columns)).astype(float)
        chi2, p, dof, expected = pearson_chi_square(table)
        theirs = chi2_contingency(table, correction=False)
        assert np.allclose([chi2, p, dof], [theirs[0], theirs[1], theirs[2]], rtol=1e-12)
        assert np.allclose(expected, theirs[3])
