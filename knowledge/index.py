"""Dense passage index: normalised embeddings in a FAISS IndexFlatIP, persisted beside a sidecar.

The sidecar records the model name, the guidance content hash, the passage ids and the recipe used to
build the indexed text, so a stored index is reused only when all of them still match; otherwise it is
rebuilt (a few hundred passages take a second or two) and saved for the next process.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge.embedding import Embedder
from knowledge.model import GuidanceDocument, Passage

# Bump when the text fed to the embedder changes, so stored indexes built the old way are rebuilt.
INDEX_RECIPE = "views:heading-path+passage,passage/v1"


def index_text(document: GuidanceDocument, passage: Passage) -> str:
    """The passage under its heading path: gives a bare bullet ("Don't: share your passwords") its topic."""
    section = document.section(passage.section_id)
    path = " > ".join(section.heading_path) if section else ""
    return f"{path}: {passage.text}" if path else passage.text


def index_views(document: GuidanceDocument, passage: Passage) -> tuple[str, str]:
    """Each passage is embedded twice, with and without its headings, and scores by the better view:
    headings help a short bullet, but dilute a long paragraph whose own words carry the meaning."""
    return index_text(document, passage), passage.text


@dataclass(frozen=True)
class PassageIndex:
    """A FAISS inner-product index over normalised vectors, so scores are cosine similarities."""

    index: faiss.Index
    passage_ids: tuple[str, ...]
    model_name: str
    content_hash: str

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw FAISS search over every view; row i % len(passage_ids) is the passage."""
        return self.index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), min(k, self.index.ntotal))

    def all_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of one query to every passage (its best view), in passage order."""
        n = len(self.passage_ids)
        scores, ids = self.index.search(np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32), self.index.ntotal)
        out = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(out, ids[0] % n, scores[0])
        return out


def build_index(document: GuidanceDocument, embedder: Embedder) -> PassageIndex:
    passages = document.passages
    views = list(zip(*(index_views(document, p) for p in passages))) if passages else [(), ()]
    vectors = embedder.encode([text for view in views for text in view])
    index = faiss.IndexFlatIP(embedder.dimension)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return PassageIndex(index, tuple(p.id for p in passages), embedder.name, document.content_hash)


def _sidecar(document: GuidanceDocument, embedder: Embedder) -> dict[str, object]:
    return {
        "model": embedder.name,
        "dimension": embedder.dimension,
        "content_hash": document.content_hash,
        "recipe": INDEX_RECIPE,
        "passage_ids": [p.id for p in document.passages],
    }


def _paths(directory: Path, document: GuidanceDocument, embedder: Embedder) -> tuple[Path, Path]:
    stem = f"{document.content_hash[:16]}-{embedder.name.rsplit('/', 1)[-1]}"
    return directory / f"{stem}.faiss", directory / f"{stem}.json"


def load_or_build_index(document: GuidanceDocument, embedder: Embedder, directory: Path) -> PassageIndex:
    """Reuse the stored index when its sidecar matches this content and model; otherwise build and store it."""
    index_path, sidecar_path = _paths(directory, document, embedder)
    expected = _sidecar(document, embedder)
    try:
        if json.loads(sidecar_path.read_text(encoding="utf-8")) == expected:
            index = faiss.read_index(str(index_path))
            if index.ntotal == 2 * len(document.passages) and index.d == embedder.dimension:
                return PassageIndex(index, tuple(expected["passage_ids"]), embedder.name, document.content_hash)  # type: ignore[arg-type]
    except (OSError, ValueError, RuntimeError):
        pass  # missing or damaged: rebuild below
    built = build_index(document, embedder)
    try:
        save_index(built, expected, index_path, sidecar_path)
    except OSError:
        pass  # a read-only data dir still answers, it just rebuilds next time
    return built


def save_index(built: PassageIndex, sidecar: dict[str, object], index_path: Path, sidecar_path: Path) -> None:
    """Write index then sidecar, each atomically, so a reader never pairs a sidecar with a half-written index."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=index_path.parent, suffix=".faiss.tmp")
    os.close(fd)
    faiss.write_index(built.index, tmp)
    os.replace(tmp, index_path)
    fd, tmp = tempfile.mkstemp(dir=index_path.parent, suffix=".json.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(sidecar, handle)
    os.replace(tmp, sidecar_path)
