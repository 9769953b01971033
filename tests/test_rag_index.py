"""The persistent RAG index (``llmops_ci.rag.index``), retrieval (``llmops_ci.rag.retrieve``) and the
embedding cache (``llmops_ci.rag.embeddings``): a corpus generated here, BM25 scores worked out by hand,
dense search over the local fake OpenAI server's embeddings, hybrid fusion arithmetic, no network."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from llmops_ci.artifacts.loader import load_graph, load_project
from llmops_ci.rag.embeddings import CachedEmbedder, EmbeddingError
from llmops_ci.rag.index import BuildStats, Index, IndexStore, index_dir
from llmops_ci.rag.pipeline import PipelineConfig, PipelineError
from llmops_ci.rag.retrieve import Retriever, open_retriever
from llmops_ci.rag.text import words
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer, embed

EMBEDDING_MODEL = "openai/text-embedding-3-small"

CORPUS: dict[str, str | bytes] = {
    "corpus/guide.md": """\
        # Refunds

        Refunds are paid within thirty days of the return.

        # Shipping

        Parcels ship from the Lisbon warehouse every weekday.
        """,
    "corpus/notes.txt": "The support desk answers email within two working days.\n",
    "corpus/page.html": (
        "<html><head><title>Warranty</title></head><body><h2>Warranty</h2>"
        "<p>Every kettle carries a two year warranty.</p></body></html>"
    ),
    "corpus/faq.jsonl": (
        '{"id": "q1", "text": "Gift cards never expire."}\n'
        '{"id": "q2", "text": "Invoices are emailed after each order."}\n'
    ),
}


def pipeline_yaml(
    name: str = "docs",
    *,
    chunking: str = "{strategy: markdown, size: 64, unit: words}",
    top_k: int = 3,
    retrieval: str = "",
    extra: str = "",
) -> str:
    """A RagPipeline over ``corpus/``; ``retrieval`` is more flow-mapping entries after ``top_k``, ``extra``
    more YAML inside ``spec`` (two-space indented)."""
    return (
        f"apiVersion: llmops-ci/v1\nkind: RagPipeline\nmetadata: {{name: {name}}}\nspec:\n"
        f"  corpus: {{path: ../corpus}}\n  chunking: {chunking}\n"
        f"  retrieval: {{top_k: {top_k}{retrieval}}}\n{extra}"
    )


def make_repo(root: Path, corpus: dict[str, str | bytes] | None = None, **pipeline: object) -> Path:
    files: dict[str, str | bytes] = {
        "llmops.yaml": PROJECT,
        "rag/docs.yaml": pipeline_yaml(**pipeline),  # type: ignore[arg-type]
        **(CORPUS if corpus is None else corpus),
    }
    return write_files(root, files)


def config_of(root: Path, name: str = "docs") -> PipelineConfig:
    graph = load_graph(load_project(root))
    artifact = graph.get("RagPipeline", name)
    assert artifact is not None and artifact.valid, artifact and artifact.problems
    return PipelineConfig.from_artifact(artifact)


def build(root: Path, *, force: bool = False) -> tuple[Index, BuildStats]:
    config = config_of(root)
    return IndexStore(index_dir(root, config), config).build(force=force)


def test_first_build_parses_every_format_and_records_the_build(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    index, stats = build(root)
    # 4 files; documents: guide.md, notes.txt, page.html and the 2 JSONL records
    assert (stats.files, stats.files_parsed, stats.documents, stats.rebuilt) == (4, 4, 5, True)
    ids = [chunk.id for chunk in index.chunks]
    assert stats.chunks == len(ids) == 6  # a chunk never spans two Markdown sections
    assert ids == [
        "faq.jsonl#q1#0",
        "faq.jsonl#q2#0",
        "guide.md#0",
        "guide.md#1",
        "notes.txt#0",
        "page.html#0",
    ]
    by_id = {chunk.id: chunk for chunk in index.chunks}
    assert by_id["guide.md#1"].heading == "Shipping" and by_id["page.html#0"].heading == "Warranty"
    directory = index_dir(root, config_of(root))
    current = (directory / "CURRENT").read_text(encoding="utf-8").strip()
    assert current == index.key and (directory / "builds" / current / "chunks.json").is_file()
    assert len(list((directory / "files").glob("*.json"))) == 4


def test_second_build_loads_without_parsing(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    second, stats = build(root)
    assert (stats.rebuilt, stats.files_parsed, stats.files, stats.chunks) == (False, 0, 4, 6)
    assert second.key == first.key and [c.id for c in second.chunks] == [c.id for c in first.chunks]
    assert second.bm25 is not None  # the saved BM25 matrices were loaded, usable for search
    assert Retriever(config_of(root), second).search("gift cards")[0].chunk.id == "faq.jsonl#q1#0"


def test_editing_one_file_reparses_exactly_that_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    build(root)
    (root / "corpus/notes.txt").write_text("The support desk now answers by phone.\n", encoding="utf-8")
    index, stats = build(root)
    assert (stats.rebuilt, stats.files, stats.files_parsed) == (True, 4, 1)
    notes = next(chunk for chunk in index.chunks if chunk.id == "notes.txt#0")
    assert "phone" in notes.text
    directory = index_dir(root, config_of(root))
    # the old entry of notes.txt and the old build were collected
    assert len(list((directory / "files").glob("*.json"))) == 4
    assert [path.name for path in (directory / "builds").iterdir()] == [index.key]


def test_touching_a_file_without_changing_it_keeps_the_index(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    path = root / "corpus/notes.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    index, stats = build(root)
    assert (stats.rebuilt, stats.files_parsed, index.key) == (False, 0, first.key)


def test_adding_and_deleting_files(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    build(root)
    write_files(root, {"corpus/extra/new.md": "Loyalty points are credited monthly.\n"})
    index, stats = build(root)
    assert (stats.files, stats.files_parsed, stats.chunks) == (5, 1, 7)
    assert "extra/new.md#0" in index.by_id
    (root / "corpus/faq.jsonl").unlink()
    index, stats = build(root)
    assert (stats.rebuilt, stats.files, stats.files_parsed, stats.chunks) == (True, 4, 0, 5)
    assert not any(chunk.document.startswith("faq.jsonl") for chunk in index.chunks)
    entries = list((index_dir(root, config_of(root)) / "files").glob("*.json"))
    assert len(entries) == 4  # the deleted file's entry was collected
    assert all(json.loads(path.read_text(encoding="utf-8"))["rel"] != "faq.jsonl" for path in entries)


def test_a_chunking_change_rebuilds_every_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    build(root)
    (root / "rag/docs.yaml").write_text(
        pipeline_yaml(chunking="{strategy: fixed, size: 4, unit: words}"), encoding="utf-8"
    )
    index, stats = build(root)
    assert (stats.rebuilt, stats.files_parsed) == (True, 4)
    assert all(len(words(chunk.text)) <= 4 for chunk in index.chunks) and stats.chunks > 6


def test_force_parses_everything_again(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    index, stats = build(root, force=True)
    assert (stats.rebuilt, stats.files_parsed, index.key) == (True, 4, first.key)
    assert [chunk.id for chunk in index.chunks] == [chunk.id for chunk in first.chunks]


def test_a_damaged_build_is_rebuilt_not_crashed(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    directory = index_dir(root, config_of(root))
    (directory / "builds" / first.key / "chunks.json").write_text("[{not json", encoding="utf-8")
    index, stats = build(root)
    assert (stats.rebuilt, stats.files_parsed, len(index.chunks)) == (True, 0, 6)
    assert [chunk.id for chunk in index.chunks] == [chunk.id for chunk in first.chunks]


def test_a_repaired_build_is_saved(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    directory = index_dir(root, config_of(root))
    (directory / "builds" / first.key / "chunks.json").write_text("[{not json", encoding="utf-8")
    build(root)
    assert IndexStore(directory, config_of(root)).load(first.key) is not None
    _, stats = build(root)
    assert not stats.rebuilt


def test_a_damaged_entry_is_parsed_again(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    directory = index_dir(root, config_of(root))
    entries = sorted((directory / "files").glob("*.json"))
    entries[0].write_bytes(b"\x00garbage")
    for build_dir in (directory / "builds").iterdir():  # so the entries are read again
        (build_dir / "chunks.json").unlink()
    index, stats = build(root)
    assert (stats.rebuilt, stats.files_parsed) == (True, 1)
    assert [chunk.id for chunk in index.chunks] == [chunk.id for chunk in first.chunks]


def test_a_damaged_bm25_matrix_is_rebuilt_not_crashed(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    first, _ = build(root)
    bm25 = index_dir(root, config_of(root)) / "builds" / first.key / "bm25"
    for path in bm25.iterdir():
        path.write_bytes(b"")
    index, stats = build(root)
    assert stats.rebuilt and len(index.chunks) == 6


def test_a_garbage_current_pointer_reads_as_no_index(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    build(root)
    directory = index_dir(root, config_of(root))
    (directory / "CURRENT").write_text("../../../../etc", encoding="utf-8")
    assert IndexStore(directory, config_of(root)).load() is None
    index, stats = build(root)  # a build computes its key itself: CURRENT is only written, never trusted
    assert not stats.rebuilt and len(index.chunks) == 6


def _build_in_process(root: str) -> int:
    _, stats = build(Path(root))
    return stats.chunks


def test_concurrent_builders_leave_a_loadable_index(tmp_path: Path) -> None:
    corpus: dict[str, str | bytes] = {
        f"corpus/doc{number:02}.md": f"# Part {number}\n\nClause {number} covers topic{number} in detail.\n"
        for number in range(40)
    }
    root = make_repo(tmp_path, corpus)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.map(_build_in_process, [str(root)] * 2)
    assert results == [40, 40]
    config = config_of(root)
    loaded = IndexStore(index_dir(root, config), config).load()
    assert loaded is not None and len(loaded.chunks) == 40
    _, stats = build(root)
    assert (stats.rebuilt, stats.files_parsed) == (False, 0)
    leftovers = [p.name for p in (index_dir(root, config) / "builds").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_broken_corpus_file_names_the_file_and_line(tmp_path: Path) -> None:
    from llmops_ci.errors import LlmopsError

    corpus: dict[str, str | bytes] = {"corpus/faq.jsonl": '{"id": "a", "text": "fine"}\n{oops\n'}
    root = make_repo(tmp_path, corpus)
    with pytest.raises(LlmopsError, match=r"faq\.jsonl:2: not valid JSON"):
        build(root)


# --- BM25 ranking, worked by hand --------------------------------------------------------------------------

# Terms per file (one chunk each): a: [apple, banana] dl=2; b: [apple, apple, cherry] dl=3; c: [durian] dl=1;
# d: [banana, apple] dl=2. N=4, avgdl=(2+3+1+2)/4=2. bm25s' default (Lucene) BM25 with k1=1.5, b=0.75:
# idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)); tf part = tf / (tf + k1*(1 - b + b*dl/avgdl)) (Lucene drops
# Okapi's constant (k1 + 1) factor: the same ranking).
FRUIT: dict[str, str | bytes] = {
    "corpus/a.txt": "apple banana\n",
    "corpus/b.txt": "apple apple cherry\n",
    "corpus/c.txt": "durian\n",
    "corpus/d.txt": "banana apple\n",
}
K1, B = 1.5, 0.75


def bm25_by_hand(tf: int, dl: int, df: int, n: int = 4, avgdl: float = 2.0) -> float:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + K1 * (1 - B + B * dl / avgdl))


def test_bm25_ranks_by_hand_computed_scores_and_ties_keep_corpus_order(tmp_path: Path) -> None:
    root = make_repo(tmp_path, FRUIT, top_k=10)
    retriever = open_retriever(config_of(root), root)
    found = retriever.search("Apple?")
    # apple: df=3, idf = ln(1 + 1.5/3.5) = 0.35667. a and d: tf=1, dl=2 -> tf part 1/(1 + 1.5*1) = 0.4, score
    # 0.14267; b: tf=2, dl=3 -> 2/(2 + 1.5*1.375) = 0.49231, score 0.17559
    assert [item.chunk.id for item in found] == ["b.txt#0", "a.txt#0", "d.txt#0"]  # c scores 0: not returned
    assert [item.rank for item in found] == [1, 2, 3]
    expected = [bm25_by_hand(2, 3, 3), bm25_by_hand(1, 2, 3), bm25_by_hand(1, 2, 3)]
    assert [item.score for item in found] == pytest.approx(expected, rel=1e-5)
    assert found[1].score == found[2].score  # a tie: a.txt before d.txt, the corpus order
    # two terms: "cherry banana" -> cherry (df=1) only in b, banana (df=2) in a and d
    two = retriever.search("cherry banana")
    cherry_b = bm25_by_hand(1, 3, 1)
    banana_ad = bm25_by_hand(1, 2, 2)
    assert cherry_b > banana_ad
    assert [item.chunk.id for item in two] == ["b.txt#0", "a.txt#0", "d.txt#0"]
    assert [item.score for item in two] == pytest.approx([cherry_b, banana_ad, banana_ad], rel=1e-5)
    assert retriever.search("kiwi") == [] and retriever.search("the and of") == []
    assert [item.chunk.id for item in retriever.search("apple", top_k=1)] == ["b.txt#0"]


def test_min_score_drops_chunks_below_it(tmp_path: Path) -> None:
    threshold = (bm25_by_hand(1, 2, 3) + bm25_by_hand(2, 3, 3)) / 2  # between the two apple scores
    root = make_repo(tmp_path, FRUIT, retrieval=f", min_score: {threshold:.4f}")
    config = config_of(root)
    assert config.min_score == pytest.approx(threshold, abs=1e-4)
    found = open_retriever(config, root).search("apple")
    assert [item.chunk.id for item in found] == ["b.txt#0"]


def test_invalid_utf8_names_the_file(tmp_path: Path) -> None:
    from llmops_ci.errors import LlmopsError

    root = make_repo(tmp_path, {"corpus/ok.txt": "fine\n", "corpus/bad.txt": b"caf\xe9 menu\n"})
    with pytest.raises(LlmopsError, match=r"bad\.txt"):
        open_retriever(config_of(root), root)


# --- dense search over the fake server's embeddings ---------------------------------------------------------


@pytest.fixture
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def dense_repo(
    root: Path, server: OpenAIServer, index: str, *, model: str = EMBEDDING_MODEL, embedding: str = ""
) -> Path:
    """The fruit corpus searched by ``index`` over the fake server's embeddings (``embedding``: more keys)."""
    spec = (
        f'  embedding: {{model: {model}, api_base: "{server.base_url}", batch_size: 2{embedding}}}\n'
        f"  index: {index}\n"
    )
    return make_repo(root, FRUIT, top_k=4, extra=spec)


def fake_vector(text: str) -> np.ndarray:
    return np.asarray(embed(text, 64), dtype=np.float64)


@pytest.mark.usefixtures("_api_key")
@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_flat_search_scores_by_the_metric(tmp_path: Path, openai_server: OpenAIServer, metric: str) -> None:
    root = dense_repo(tmp_path, openai_server, f"{{type: flat, metric: {metric}}}")
    retriever = open_retriever(config_of(root), root)
    question = "apple cherry"
    found = retriever.search(question)
    query = fake_vector(question)
    texts = {item.chunk.id: item.chunk.text for item in found}
    assert len(found) == 4  # dense search returns every chunk up to top_k, even unrelated ones
    for item in found:
        vector = fake_vector(texts[item.chunk.id])
        # the fake's vectors are unit length: cosine and dot agree; l2 is the negative distance
        expected = -float(np.linalg.norm(vector - query)) if metric == "l2" else float(vector @ query)
        assert item.score == pytest.approx(expected, abs=1e-5), item.chunk.id
    scores = [item.score for item in found]
    assert scores == sorted(scores, reverse=True) and found[0].chunk.id == "b.txt#0"
    # the 4 one-chunk files in batches of batch_size 2, then one request for the question
    assert openai_server.request_count == retriever.embedder.requests == 3
    assert all(request.body["model"] == "text-embedding-3-small" for request in openai_server.requests)


@pytest.mark.usefixtures("_api_key")
def test_hybrid_fuses_min_max_normalised_scores(tmp_path: Path, openai_server: OpenAIServer) -> None:
    corpus: dict[str, str | bytes] = {k: v for k, v in FRUIT.items() if not k.endswith("d.txt")}
    spec = (
        f'  embedding: {{model: {EMBEDDING_MODEL}, api_base: "{openai_server.base_url}"}}\n'
        "  index: {type: hybrid}\n"
    )
    root = make_repo(tmp_path, corpus, retrieval=", hybrid: {dense: 0.25, sparse: 0.75}", extra=spec)
    found = open_retriever(config_of(root), root).search("banana")
    texts = {"a.txt#0": "apple banana", "b.txt#0": "apple apple cherry", "c.txt#0": "durian"}
    # sparse (N=3, avgdl=2): banana df=1, only in a (tf=1, dl=2): s = [s_a, 0, 0] -> min-max [1, 0, 0]
    s_a = bm25_by_hand(1, 2, 1, n=3)
    sparse = {"a.txt#0": s_a, "b.txt#0": 0.0, "c.txt#0": 0.0}
    dense = {chunk: float(fake_vector(text) @ fake_vector("banana")) for chunk, text in texts.items()}
    low, high = min(dense.values()), max(dense.values())
    fused = {
        chunk: 0.25 * (dense[chunk] - low) / (high - low) + 0.75 * (sparse[chunk] - 0.0) / (s_a - 0.0)
        for chunk in texts
    }
    assert len(found) == 3  # fusion returns chunks sharing no term too
    assert {item.chunk.id: item.score for item in found} == pytest.approx(fused, abs=1e-5)
    assert found[0].chunk.id == "a.txt#0" and found[0].score == pytest.approx(1.0)  # top of both lists
    assert [item.score for item in found] == sorted((item.score for item in found), reverse=True)


@pytest.mark.usefixtures("_api_key")
def test_the_embedding_cache_makes_a_rerun_free(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    questions = ["apple pie", "cherry tart", "durian smell"]
    first = [open_retriever(config_of(root), root).search(q) for q in questions]
    assert openai_server.request_count > 0
    openai_server.reset()
    rerun = open_retriever(config_of(root), root)  # a new process would see the same files
    again = [rerun.search(q) for q in questions]
    assert openai_server.request_count == 0 and rerun.embedder.requests == 0
    assert [[(i.chunk.id, i.score) for i in r] for r in again] == [
        [(i.chunk.id, i.score) for i in r] for r in first
    ]
    # a forced rebuild re-parses and re-assembles, but every chunk vector is cached
    forced = open_retriever(config_of(root), root, force=True)
    assert forced.stats is not None and forced.stats.files_parsed == 4 and openai_server.request_count == 0


@pytest.mark.usefixtures("_api_key")
def test_replay_miss_raises_without_a_request(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    config = config_of(root)
    cache = index_dir(root, config) / "embeddings"
    embedder = CachedEmbedder(config, cache)
    seen = embedder(["apple banana"])
    replaying = CachedEmbedder(config, cache, replay=True)
    assert np.array_equal(replaying(["apple banana"]), seen)  # a hit is served from the cache
    openai_server.reset()
    with pytest.raises(EmbeddingError, match=r"--replay: 1 embedding\(s\) of docs not cached"):
        replaying(["apple banana", "never embedded"])
    assert openai_server.request_count == 0 and replaying.requests == 0


@pytest.mark.usefixtures("_api_key")
def test_declared_dimensions_are_asked_for(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}", embedding=", dimensions: 32")
    retriever = open_retriever(config_of(root), root)
    assert retriever.index.vectors is not None and retriever.index.vectors.shape == (4, 32)
    assert {request.body.get("dimensions") for request in openai_server.requests} == {32}
    assert retriever.search("cherry")[0].chunk.id == "b.txt#0"


@pytest.mark.usefixtures("_api_key")
def test_embedding_errors_are_clear(tmp_path: Path, openai_server: OpenAIServer) -> None:
    # ada-002 has a fixed size: dimensions is not sent, and the server's 64 contradict the declared 32
    ada = ", dimensions: 32"
    root = dense_repo(
        tmp_path, openai_server, "{type: flat}", model="openai/text-embedding-ada-002", embedding=ada
    )
    with pytest.raises(EmbeddingError, match="ada-002 returned 64 dimensions, the pipeline declares 32"):
        open_retriever(config_of(root), root)
    assert "dimensions" not in openai_server.requests[0].body
    openai_server.fail_when("apple", status=400)  # not worth a retry
    other = dense_repo(tmp_path / "other", openai_server, "{type: flat}")
    with pytest.raises(EmbeddingError, match=rf"rag/docs\.yaml: embedding model {EMBEDDING_MODEL}"):
        open_retriever(config_of(other), other)


@pytest.mark.usefixtures("_api_key")
def test_a_server_error_is_retried_by_the_embedder_alone(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    openai_server.fail_next(1, status=500)
    retriever = open_retriever(config_of(root), root)
    assert retriever.stats is not None and retriever.stats.embedded == 4
    assert retriever.embedder.requests == openai_server.request_count == 3  # 2 batches, one retried


def test_a_dense_index_without_an_embedding_model_names_the_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path, FRUIT, extra="  index: {type: hybrid}\n")
    graph = load_graph(load_project(root))
    artifact = graph.get("RagPipeline", "docs")
    assert artifact is not None
    with pytest.raises(PipelineError, match=r"rag/docs\.yaml:8:\d+: index type hybrid searches embeddings"):
        PipelineConfig.from_artifact(artifact)


@pytest.mark.usefixtures("_api_key")
def test_chunks_are_embedded_in_batches_across_files(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    open_retriever(config_of(root), root)
    assert openai_server.request_count == 2


@pytest.mark.usefixtures("_api_key")
def test_a_damaged_cached_embedding_is_embedded_again(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    config = config_of(root)
    embedder = CachedEmbedder(config, tmp_path / "cache")
    first = embedder(["apple banana"])
    (cached,) = (tmp_path / "cache").rglob("*.npy")
    cached.write_bytes(b"\x93NUMPY")  # cut inside the header
    again = CachedEmbedder(config, tmp_path / "cache")
    assert np.array_equal(again(["apple banana"]), first) and again.requests == 1


@pytest.mark.usefixtures("_api_key")
def test_an_empty_cached_embedding_is_embedded_again(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    config = config_of(root)
    first = CachedEmbedder(config, tmp_path / "cache")(["apple banana"])
    (cached,) = (tmp_path / "cache").rglob("*.npy")
    cached.write_bytes(b"")
    assert np.array_equal(CachedEmbedder(config, tmp_path / "cache")(["apple banana"]), first)


@pytest.mark.usefixtures("_api_key")
def test_a_dense_rebuild_embeds_only_the_changed_file(tmp_path: Path, openai_server: OpenAIServer) -> None:
    root = dense_repo(tmp_path, openai_server, "{type: flat}")
    open_retriever(config_of(root), root)
    vectors = index_dir(root, config_of(root)) / "vectors"
    assert len(list(vectors.glob("*.npy"))) == 4
    openai_server.reset()
    (root / "corpus/b.txt").write_text("cherry cherry plum\n", encoding="utf-8")
    retriever = open_retriever(config_of(root), root)
    assert retriever.stats is not None
    assert (retriever.stats.files_parsed, retriever.stats.embedded) == (1, 1)
    assert [request.body["input"] for request in openai_server.requests] == [["cherry cherry plum"]]
    assert len(list(vectors.glob("*.npy"))) == 4  # b's old vectors were collected
    (root / "corpus/d.txt").unlink()
    retriever = open_retriever(config_of(root), root)
    assert retriever.index.vectors is not None and retriever.index.vectors.shape == (3, 64)
    assert len(list(vectors.glob("*.npy"))) == 3 and openai_server.request_count == 1
    assert retriever.search("plum")[0].chunk.id == "b.txt#0"
