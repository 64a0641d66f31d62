"""The batch path: code a table of short documents (citizen messages, hotline records) with a
codebook's rules, on every core, in constant memory, without a project.

The input is read as a stream of CSV records, cut into chunks of ``chunk_size`` documents;
each chunk goes to a worker, which runs :func:`code_document` (the codebook's
:class:`~qualcode.autocode.Rules`: keywords in one Aho-Corasick pass, whole-word checks
against jieba's words, patterns, token patterns) on each document; results come back in
input order and are written as they arrive. At most a few chunks per worker are in flight at
once, so memory stays flat however large the file is.

Workers are local processes (``multiprocessing``; one process per core by default; with one
worker everything runs in this process) or, for corpora beyond one machine, the workers of a
Dask cluster (``scheduler``: the address of a running ``distributed`` scheduler, which needs
the optional ``dask`` extra and qualcode installed on its workers). Both run the same
per-document function; there is no scheduler of our own.

The output has one row per document: its id (the ``id_column``, or the record's number) and a
column per code with a rule, 1 when a rule of the code hit the document and 0 otherwise. The
theme frequency table (:meth:`BatchResult.frequencies`) counts the documents per code.
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .autocode import Rules, compile_rules
from .errors import QualcodeError
from .exchange.tables import SafeCsvWriter
from .progress import SILENT, Progress

if TYPE_CHECKING:
    import pandas as pd

    from .model import Codebook

__all__ = [
    "FREQUENCY_COLUMNS",
    "BatchResult",
    "code_document",
    "code_documents",
    "code_table",
    "read_documents",
]

CHUNK_SIZE = 1000  # documents per task: large enough that passing them costs little
IN_FLIGHT = 3  # chunks queued per worker: keeps every worker busy, bounds memory
DASK_CONNECT_TIMEOUT = "30s"
FREQUENCY_COLUMNS = ["code_id", "code", "documents", "percent"]


def code_document(rules: Rules, text: str) -> list[int]:
    """The indices into ``rules.code_ids`` of the codes whose rules hit ``text``."""
    return rules.code_indices(text)


def code_documents(rules: Rules, texts: list[str]) -> list[list[int]]:
    """:func:`code_document` for each of ``texts``: one task of the batch path."""
    return [code_document(rules, text) for text in texts]


@dataclass(slots=True)
class BatchResult:
    """What :func:`code_table` wrote, with the documents per code."""

    output: Path
    code_ids: list[str]
    labels: list[str]
    documents: int = 0
    counts: list[int] = field(default_factory=list)  # documents per code, as code_ids
    characters: int = 0
    seconds: float = 0.0
    workers: int = 1

    def frequencies(self) -> pd.DataFrame:
        """The theme frequency table: per code (codebook order), the documents its rules hit
        and their percentage of all documents."""
        import pandas as pd

        total = self.documents or 1
        return pd.DataFrame(
            [
                (code_id, label, count, round(100.0 * count / total, 2))
                for code_id, label, count in zip(
                    self.code_ids, self.labels, self.counts, strict=True
                )
            ],
            columns=FREQUENCY_COLUMNS,
        )


def read_documents(
    path: str | Path, text_column: str, id_column: str | None = None, *, encoding: str = "utf-8-sig"
) -> Iterator[tuple[str, str]]:
    """``(id, text)`` of each record of a CSV (``.tsv``/``.tab``: tab-separated) file, read
    as a stream; the id is the ``id_column`` value, or the record's number (1 for the first
    record after the header; blank lines are skipped, not counted). Raises :class:`~qualcode.errors.QualcodeError` naming the file
    and line for a missing column, an undecodable byte or a malformed record."""
    path = Path(path)
    dialect = csv.excel_tab if path.suffix.lower() in (".tsv", ".tab") else csv.excel
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # one message may be long
    try:
        handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed below
    except OSError as error:
        raise QualcodeError(f"cannot read the table: {error.strerror}", path=path) from None
    with handle:
        reader = csv.reader(handle, dialect)
        try:
            header = next(reader, None)
            if header is None:
                raise QualcodeError(
                    "the table is empty; its first row must name the columns", path=path
                )
            header = [name.strip() for name in header]
            columns = [text_column] + ([id_column] if id_column else [])
            for column in columns:
                if column not in header:
                    raise QualcodeError(
                        f"no column {column!r}; the header has: {', '.join(header)} "
                        "(choose with --text-column / --id-column)",
                        path=path,
                        line=1,
                    )
            text_at = header.index(text_column)
            id_at = header.index(id_column) if id_column else None
            number = 0
            for record in reader:
                if not record:
                    continue  # a blank line is no record
                number += 1
                text = record[text_at] if text_at < len(record) else ""
                if id_at is None:
                    yield str(number), text
                else:
                    yield (record[id_at] if id_at < len(record) else ""), text
        except UnicodeDecodeError as error:
            raise QualcodeError(
                f"not {encoding} text near record {reader.line_num + 1} ({error.reason}); "
                "give the file's encoding with --encoding (e.g. gb18030)",
                path=path,
                line=reader.line_num + 1,
            ) from None
        except csv.Error as error:
            raise QualcodeError(
                f"not a readable CSV table: {error}", path=path, line=reader.line_num
            ) from None


def _chunks(
    documents: Iterable[tuple[str, str]], size: int
) -> Iterator[tuple[list[str], list[str]]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield [i for i, _ in chunk], [t for _, t in chunk]


# Each worker process compiles the rules once (unpickling Rules compiles them).
_worker_rules: Rules | None = None


def _init_worker(rules: Rules) -> None:
    global _worker_rules
    _worker_rules = rules


def _code_chunk(texts: list[str]) -> list[list[int]]:
    assert _worker_rules is not None
    return code_documents(_worker_rules, texts)


def _local_results(
    rules: Rules, chunks: Iterator[tuple[list[str], list[str]]], workers: int
) -> Iterator[tuple[list[str], list[str], list[list[int]]]]:
    if workers == 1:
        for ids, texts in chunks:
            yield ids, texts, code_documents(rules, texts)
        return
    # Workers forked from this process share its memory until they write to it; the garbage
    # collector of a worker would touch (and so copy) every object it inherits, unless the
    # objects made so far are frozen out of its reach first.
    gc.freeze()
    try:
        pool = multiprocessing.get_context().Pool(workers, _init_worker, (rules,))
    finally:
        gc.unfreeze()
    with pool:
        yield from _in_order(
            chunks,
            lambda texts: pool.apply_async(_code_chunk, (texts,)),
            lambda result: result.get(),
            workers * IN_FLIGHT,
        )


def _dask_results(
    rules: Rules, chunks: Iterator[tuple[list[str], list[str]]], scheduler: str
) -> Iterator[tuple[list[str], list[str], list[list[int]]]]:
    try:
        from distributed import Client
    except ImportError:
        raise QualcodeError(
            "--scheduler needs Dask: install qualcode with the 'dask' extra "
            "(pip install 'qualcode[dask]')"
        ) from None
    try:
        client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except OSError as error:
        raise QualcodeError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        threads = sum(client.nthreads().values()) or 1
        remote_rules = client.scatter(rules, broadcast=True)
        yield from _in_order(
            chunks,
            lambda texts: client.submit(code_documents, remote_rules, texts, pure=False),
            lambda future: future.result(),
            threads * IN_FLIGHT,
        )


def _in_order(
    chunks: Iterator[tuple[list[str], list[str]]],
    submit: Callable[[list[str]], Any],
    collect: Callable[[Any], list[list[int]]],
    in_flight: int,
) -> Iterator[tuple[list[str], list[str], list[list[int]]]]:
    """Each chunk's results, in the chunks' order: ``submit`` hands a chunk's texts to the
    workers and returns a handle, ``collect`` waits for a handle's result. At most
    ``in_flight`` chunks are submitted and not yet collected."""
    pending: deque = deque()
    for ids, texts in chunks:
        pending.append((ids, texts, submit(texts)))
        if len(pending) >= in_flight:
            ids, texts, handle = pending.popleft()
            yield ids, texts, collect(handle)
    while pending:
        ids, texts, handle = pending.popleft()
        yield ids, texts, collect(handle)


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def code_table(
    source: str | Path,
    codebook: Codebook,
    output: str | Path,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    codes: list[str] | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    scheduler: str | None = None,
    encoding: str = "utf-8-sig",
    rules: Rules | None = None,
    progress: Progress = SILENT,
) -> BatchResult:
    """Code every document of the table ``source`` with ``codebook``'s rules (of ``codes``
    only, when given) and write ``output`` (CSV, UTF-8 with BOM; ``.tsv``: tab-separated):
    one row per document, its id and a 0/1 column per code with a rule.

    ``workers`` local processes (default: every core) or, with ``scheduler``, a Dask
    cluster do the work; ``progress`` counts the bytes of UTF-8 text coded against the size
    of ``source`` (an estimate for an ETA: the table's other columns are not counted), after
    each chunk. ``rules`` may be given already compiled. Returns the counts per code."""
    if rules is None:
        rules = compile_rules(codebook, codes)
    if not rules:
        raise QualcodeError(
            "no code has keywords, patterns or token_patterns to code with; "
            "add some to the codebook (e.g. keywords: [宣传, 推广])"
        )
    output = Path(output)
    if output.suffix.lower() not in (".csv", ".tsv", ".tab", ".txt"):
        raise QualcodeError(
            "the batch path streams its rows to a .csv (or .tsv) file; "
            f"name the output e.g. coded.csv, not {output.name}"
        )
    workers = max(1, workers or default_workers())
    labels = [codebook.by_id()[code_id].label for code_id in rules.code_ids]
    result = BatchResult(
        output, list(rules.code_ids), labels, counts=[0] * len(rules.code_ids), workers=workers
    )
    started = time.perf_counter()
    progress.start("coding documents", Path(source).stat().st_size or None)
    chunks = _chunks(
        read_documents(source, text_column, id_column, encoding=encoding), max(1, chunk_size)
    )
    results = (
        _dask_results(rules, chunks, scheduler)
        if scheduler
        else _local_results(rules, chunks, workers)
    )
    dialect = csv.excel_tab if output.suffix.lower() in (".tsv", ".tab") else csv.excel
    partial = output.with_name(output.name + ".partial")
    try:
        with open(partial, "w", encoding="utf-8-sig", newline="") as handle:
            writer = SafeCsvWriter(handle, dialect)  # document ids are the corpus's own text
            writer.writerow([id_column or "row", *rules.code_ids])
            zeros = ["0"] * len(rules.code_ids)
            counts = result.counts
            for ids, texts, coded in results:
                rows = []
                for document_id, found in zip(ids, coded, strict=True):
                    row = [document_id, *zeros]
                    for index in found:
                        row[index + 1] = "1"
                        counts[index] += 1
                    rows.append(row)
                writer.writerows(rows)
                result.documents += len(ids)
                result.characters += sum(map(len, texts))
                progress.advance(sum(len(text.encode("utf-8")) for text in texts))
        partial.replace(output)  # a stopped run leaves no half-written table under its name
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result.seconds = time.perf_counter() - started
    return result
