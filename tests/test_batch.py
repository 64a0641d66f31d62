"""The batch path on real text: the speaker turns of the CC0 transcripts (and the sample
study's) as documents, plus generated rows, coded on worker processes and on a local Dask
cluster, checked row by row against the rules run in this process."""

from __future__ import annotations

import csv
import itertools
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.autocode import compile_rules
from qualcode.batch import FREQUENCY_COLUMNS, _chunks, code_table, read_documents
from qualcode.cli import main
from qualcode.codebook import load_codebook
from qualcode.errors import QualcodeError
from qualcode.transcripts import read_transcript

from .conftest import SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS, SHARED

CC0 = SHARED / "corpora" / "audreyt_transcript_cc0"


def speaker_turns() -> list[str]:
    """The body of every speaker turn of the CC0 transcripts (both scripts, when present)
    and of the sample study's transcripts."""
    paths = [*sorted(CC0.glob("zh-*/*.md")), *SAMPLE_TRANSCRIPTS]
    turns = []
    for path in paths:
        parsed = read_transcript(path)
        turns += [parsed.text[t.body_start : t.end].strip() for t in parsed.turns]
    return [t for t in turns if t]


def generated_rows(turns: list[str], count: int, seed: int = 6) -> list[str]:
    """Short messages made of two or three sentences of the real turns, with the quotes,
    commas and line breaks a CSV field must carry."""
    sentences = [s for t in turns for s in t.replace("？", "。").split("。") if len(s) > 4]
    pick = random.Random(seed)
    rows = []
    for n in range(count):
        parts = pick.sample(sentences, pick.randint(2, 3))
        glue = ["。", "，\n", '，"他说"，'][n % 3]
        rows.append(glue.join(parts) + "。")
    return rows


@pytest.fixture(scope="module")
def documents() -> list[str]:
    """The real turns, then generated rows until the corpus has over 2,000 documents and
    300,000 characters (without the CC0 folder, the sample study's turns alone are fewer)."""
    turns = speaker_turns()
    documents = turns + generated_rows(turns, 1500)
    while len(documents) <= 2000 or sum(map(len, documents)) <= 300_000:
        documents += generated_rows(turns, 500, seed=len(documents))
    return documents


@pytest.fixture(scope="module")
def corpus(documents, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "messages.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["msg_id", "channel", "text"])
        for i, text in enumerate(documents):
            writer.writerow([f"m{i:05d}", "hotline" if i % 2 else "web", text])
    return path


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(SAMPLE_CODEBOOK)


@pytest.fixture(scope="module")
def expected(documents, codebook) -> list[list[int]]:
    rules = compile_rules(codebook)
    found = map(rules.codes, documents)
    return [[int(code_id in codes) for code_id in rules.code_ids] for codes in found]


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_the_corpus_is_real_text(documents):
    assert len(documents) > 2000
    assert sum(map(len, documents)) > 300_000
    if CC0.is_dir():
        assert any("唐鳳" in d or "資訊" in d or "資料" in d for d in documents)


def test_batch_on_worker_processes_codes_each_document_as_the_rules_do(
    corpus, codebook, expected, documents, tmp_path
):
    output = tmp_path / "coded.csv"
    result = code_table(corpus, codebook, output, id_column="msg_id", workers=2, chunk_size=97)
    header, rows = read_rows(output)
    rules = compile_rules(codebook)
    assert header == ["msg_id", *rules.code_ids]
    assert [r[0] for r in rows] == [f"m{i:05d}" for i in range(len(documents))]
    assert [[int(v) for v in r[1:]] for r in rows] == expected
    assert result.documents == len(documents) and result.workers == 2
    assert result.characters == sum(map(len, documents))
    table = result.frequencies()
    assert list(table.columns) == FREQUENCY_COLUMNS
    assert table["documents"].tolist() == [sum(col) for col in zip(*expected, strict=True)]
    assert table["documents"].min() >= 0 and table["documents"].max() > 100
    assert not output.with_name("coded.csv.partial").exists()

    single = tmp_path / "single.csv"
    code_table(corpus, codebook, single, id_column="msg_id", workers=1, chunk_size=1000)
    assert single.read_bytes() == output.read_bytes()


def test_batch_on_a_local_dask_cluster_gives_the_same_table(corpus, codebook, tmp_path):
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    local = tmp_path / "local.csv"
    code_table(corpus, codebook, local, id_column="msg_id", workers=1)
    dask = tmp_path / "dask.csv"
    # In this process, no network: the scheduler and its worker talk over inproc://.
    with LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as cluster:
        result = code_table(
            corpus,
            codebook,
            dask,
            id_column="msg_id",
            scheduler=cluster.scheduler_address,
            chunk_size=200,
        )
    assert dask.read_bytes() == local.read_bytes()
    assert result.documents > 2000


def test_an_unreachable_scheduler_is_one_clear_error(corpus, codebook, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import qualcode.batch

    monkeypatch.setattr(qualcode.batch, "DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(QualcodeError, match="cannot reach the Dask scheduler"):
        code_table(
            corpus, codebook, tmp_path / "x.csv", scheduler="tcp://127.0.0.1:9", chunk_size=10
        )


def test_documents_are_read_as_a_stream():
    endless = ((str(i), "宣传") for i in itertools.count())
    ids, texts = next(_chunks(endless, 3))
    assert ids == ["0", "1", "2"] and texts == ["宣传"] * 3


def test_tab_separated_input_without_ids_numbers_the_records(tmp_path, codebook):
    source = tmp_path / "calls.tsv"
    source.write_text("text\n网站老是闪退\n\n宣传不够\n", encoding="utf-8")
    assert list(read_documents(source, "text")) == [("1", "网站老是闪退"), ("2", "宣传不够")]
    code_table(source, codebook, tmp_path / "calls.csv", workers=1)
    header, rows = read_rows(tmp_path / "calls.csv")
    assert header[0] == "row" and [r[0] for r in rows] == ["1", "2"]
    stability = header.index("problems.stability")
    assert [r[stability] for r in rows] == ["1", "0"]


def test_problems_with_the_input_name_the_file_and_line(tmp_path, codebook):
    source = tmp_path / "m.csv"
    source.write_text("id,body\n1,宣传\n", encoding="utf-8")
    with pytest.raises(QualcodeError, match="no column 'text'; the header has: id, body") as e:
        code_table(source, codebook, tmp_path / "o.csv")
    assert e.value.line == 1
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("text\n网站老是闪退，宣传不够\n".encode("gb18030"))
    with pytest.raises(QualcodeError, match="--encoding"):
        code_table(gbk, codebook, tmp_path / "o.csv", workers=1)
    code_table(gbk, codebook, tmp_path / "o.csv", workers=1, encoding="gb18030")
    with pytest.raises(QualcodeError, match="streams its rows to a .csv"):
        code_table(source, codebook, tmp_path / "o.xlsx", text_column="body")


def test_cli_batch_writes_the_coded_table_and_the_theme_frequencies(corpus, tmp_path):
    output = tmp_path / "coded.csv"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            str(corpus),
            "--codebook",
            str(SAMPLE_CODEBOOK),
            "--text-column",
            "text",
            "--id-column",
            "msg_id",
            "-o",
            str(output),
            "--workers",
            "2",
            "--codes",
            "causes.publicity,problems.stability",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    header, rows = read_rows(output)
    assert header == ["msg_id", "problems.stability", "causes.publicity"]
    frequencies = output.with_name("coded.frequencies.csv")
    with open(frequencies, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["code_id"] for r in table] == header[1:]
    for i, row in enumerate(table, start=1):
        assert int(row["documents"]) == sum(int(r[i]) for r in rows)
    assert "documents" in result.output and "wrote" in result.output
