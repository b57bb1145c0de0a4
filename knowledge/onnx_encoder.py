"""all-MiniLM-L6-v2 on ONNX Runtime: the torch encoder's graph, exported once per data dir, run without torch.

Why: measured on the target machine (2 cores), ONNX Runtime encodes a question in ~5 ms where the scripted
torch model takes ~11 ms, and a 280-character post in ~14 ms instead of ~23 ms: its CPU kernels fuse the
layer norms and GELUs and skip torch's per-operator dispatch. A process that finds the exported graph
never imports torch, so a one-shot `ask` starts faster and holds less memory too.

The graph is exported from the same TorchScript module `knowledge/minilm.py` runs (so one definition of
the model), checked against it on probe texts before it is used, and written atomically: two processes
exporting at once each write their own file and the last rename wins with an identical graph.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.minilm import check_supported, core_module, encode_in_batches, load_tokenizer

if TYPE_CHECKING:
    from knowledge.encoder_adapters import EncoderAdapters

log = logging.getLogger(__name__)

# Bump when the exported graph would change (a new core module, opset or export option).
EXPORT_VERSION = 1
OPSET = 17
_PROBES = ["can I tweet about this planning app?", "Don't: share your passwords", "🎉", ""]


class ExportCheckError(RuntimeError):
    """The graph could not be exported, or does not reproduce the torch model's vectors, so it is not used."""


def cached_graph_path(model_dir: Path, cache_dir: Path, adapters: EncoderAdapters | None = None) -> Path:
    """Where this model's exported graph lives: keyed by the weights file (size, time, place), the exporter
    and, for a tuned variant, the adapters' purpose and fingerprint."""
    weights = (model_dir / "model.safetensors").resolve()
    stat = weights.stat()
    tuned = adapters.label if adapters else ""
    key = hashlib.sha256(f"{EXPORT_VERSION}|{OPSET}|{weights}|{stat.st_size}|{stat.st_mtime_ns}|{tuned}".encode()).hexdigest()[:16]
    return cache_dir / f"minilm-{key}.onnx"


def export_graph(model_dir: Path, target: Path, adapters_file: Path | None = None) -> None:
    """Export the TorchScript model (with the adapters in `adapters_file` merged in, if given) to ONNX at
    `target`, after checking the export gives the same vectors."""
    import torch
    from safetensors.torch import load_file

    from knowledge.encoder_adapters import read_adapters

    config, max_length = check_supported(model_dir)
    weights = load_file(str(model_dir / "model.safetensors"))
    if adapters_file is not None:
        read = read_adapters(adapters_file)
        if read is None:
            raise ExportCheckError(f"the encoder adapters in {adapters_file} cannot be read")
        weights = read[0].merged(weights)
    core = core_module(torch, weights, config)
    tokenizer = load_tokenizer(model_dir, config, max_length)
    ids, mask = _inputs(tokenizer, _PROBES)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with warnings.catch_warnings():
            # The TorchScript-based exporter is deprecated in favour of the torch.export one, which cannot
            # trace a scripted module. torch is pinned (2.13.0), so this holds.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                core,
                (torch.from_numpy(ids), torch.from_numpy(mask)),
                str(partial),
                input_names=["ids", "mask"],
                output_names=["vectors"],
                dynamic_axes={"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}},
                opset_version=OPSET,
                dynamo=False,
            )
        with torch.inference_mode():
            expected = core(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
        got = _session(partial, threads=1).run(None, {"ids": ids, "mask": mask})[0]
        if got.shape != expected.shape or float(np.abs(got - expected).max()) > 1e-5:
            raise ExportCheckError(f"the exported graph of {model_dir} does not reproduce the torch model's vectors")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def export_in_subprocess(model_dir: Path, target: Path, adapters: EncoderAdapters | None = None) -> None:
    """Export in a child process, so torch (~400 MB while exporting) never loads into a serving process."""
    extra = [str(adapters.source)] if adapters else []
    done = subprocess.run(
        [sys.executable, "-m", "knowledge.onnx_encoder", str(model_dir), str(target), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not target.is_file():
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ExportCheckError(f"exporting the model graph to {target} failed: {detail}")


def _inputs(tokenizer: Any, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


def _session(path: Path, threads: int | None) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or max(1, min(os.cpu_count() or 1, 4))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings are about graph internals, not our texts
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMiniLMEmbedder:
    """Tokenizer -> exported BERT graph (mean pooling and normalising inside it) -> float32 vectors.

    `threads` is ONNX Runtime's intra-op thread count for each call: the machine's cores for one-shot use,
    1 in `serve`, where parallelism comes from several encoder threads instead (see bot/serve.py).
    """

    def __init__(
        self, model_dir: Path, name: str, cache_dir: Path | None, threads: int | None = None, adapters: EncoderAdapters | None = None
    ) -> None:
        config, max_length = check_supported(model_dir)
        self.name = name
        self.dimension = int(config["hidden_size"])
        self._tokenizer = load_tokenizer(model_dir, config, max_length)
        self._session = self._open(model_dir, cache_dir, threads, adapters)

    @staticmethod
    def _open(model_dir: Path, cache_dir: Path | None, threads: int | None, adapters: EncoderAdapters | None) -> Any:
        directory = cache_dir if cache_dir is not None else Path(tempfile.gettempdir()) / "guidance-bot-models"
        path = cached_graph_path(model_dir, directory, adapters)
        if path.is_file():
            try:
                return _session(path, threads)
            except Exception as exc:  # a truncated or foreign file: export again rather than fail
                log.warning("The cached model graph %s could not be loaded (%s); exporting it again.", path, type(exc).__name__)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path.parent):
                pass
        except OSError as exc:  # read-only data dir: export to a private temporary place instead
            log.warning("Cannot write the model graph to %s (%s); using a temporary copy.", path.parent, exc.strerror)
            path = cached_graph_path(model_dir, Path(tempfile.mkdtemp(prefix="guidance-bot-model-")), adapters)
        export_in_subprocess(model_dir, path, adapters)
        return _session(path, threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        return encode_in_batches(texts, self.dimension, self._encode_batch)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        ids, mask = _inputs(self._tokenizer, texts)
        return np.asarray(self._session.run(None, {"ids": ids, "mask": mask})[0], dtype=np.float32)


if __name__ == "__main__":  # python -m knowledge.onnx_encoder MODEL_DIR TARGET [ADAPTERS]: what export_in_subprocess runs
    export_graph(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
