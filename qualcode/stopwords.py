"""Stop words for word frequencies: which tokens are never counted.

Two lists ship in ``qualcode/data``: spaCy's Chinese stop words (``spacy.lang.zh.stop_words``,
1,891 entries, MIT licence, copied verbatim with its notice because importing that module
imports all of spaCy) and qualcode's spoken-interview list (fillers, hesitations, backchannels,
transcription notes such as 嗯, 啊, 就是, 那个, 然后, 对对对, 怎么说呢). A project extends them
with a ``stopwords.txt`` in its folder: one word per line, ``# `` starts a comment, and a line
``!word`` keeps a shipped stop word counted. Apart from any list, a token made only of
punctuation, whitespace, digits or symbols other than emoji is never counted.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from .errors import QualcodeError

DATA = Path(__file__).resolve().parent / "data"
SHIPPED_LISTS = ("stopwords_spacy_zh.txt", "stopwords_spoken_zh.txt")
PROJECT_STOPWORDS = "stopwords.txt"

# Unicode categories of characters that never make a word: punctuation (P*), separators (Z*),
# controls and format characters (Cc, Cf), numbers (N*), math, currency and modifier symbols.
# "So" (other symbols: emoji, ©) is left out on purpose: an emoji can carry meaning in chat.
_NOT_WORD_CATEGORIES = frozenset(
    {
        "Pc",
        "Pd",
        "Ps",
        "Pe",
        "Pi",
        "Pf",
        "Po",
        "Zs",
        "Zl",
        "Zp",
        "Cc",
        "Cf",
        "Nd",
        "Nl",
        "No",
        "Sm",
        "Sc",
        "Sk",
    }
)


def read_word_list(path: str | Path) -> tuple[set[str], set[str]]:
    """The words a list names and the words it keeps (``!word`` lines), from a UTF-8 file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise QualcodeError(f"cannot read the stop-word list: {error}", path=path) from error
    words: set[str] = set()
    keep: set[str] = set()
    for line in text.splitlines():
        word = line.strip()
        if not word or word.startswith("# "):
            continue
        if word.startswith("!") and len(word) > 1:
            keep.add(word[1:])
        else:
            words.add(word)
    return words, keep


@cache
def shipped_stopwords() -> frozenset[str]:
    """spaCy's Chinese stop words and qualcode's spoken-interview list, together."""
    words: set[str] = set()
    for name in SHIPPED_LISTS:
        words |= read_word_list(DATA / name)[0]
    return frozenset(words)


def stopwords(project_folder: str | Path | None = None) -> frozenset[str]:
    """The shipped stop words, extended (and trimmed by ``!word`` lines) by the project's
    ``stopwords.txt`` when ``project_folder`` holds one."""
    words = shipped_stopwords()
    if project_folder is None or not (Path(project_folder) / PROJECT_STOPWORDS).is_file():
        return words
    extra, keep = read_word_list(Path(project_folder) / PROJECT_STOPWORDS)
    return frozenset((words | extra) - keep)


@cache
def is_countable(token: str) -> bool:
    """Whether ``token`` can be counted as a word at all: not only punctuation, whitespace,
    digits or non-emoji symbols."""
    return any(
        not ch.isspace() and unicodedata.category(ch) not in _NOT_WORD_CATEGORIES for ch in token
    )
