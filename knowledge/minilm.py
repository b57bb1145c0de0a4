"""all-MiniLM-L6-v2 run directly on torch: the same vectors as sentence-transformers, a fraction of the start-up.

Why this exists: `import sentence_transformers` (which pulls in transformers 5, scikit-learn and scipy) took
8-10 s on the target machine, most of a one-shot `ask`, and its per-call bookkeeping cost ~8 ms of a ~20 ms
query encode. The model itself is a plain 6-layer BERT with mean pooling and L2 normalisation, so it is
computed here from the shipped `model.safetensors` and `tokenizer.json` with torch, tokenizers and
safetensors (all already installed by sentence-transformers). A slow test checks the vectors match
sentence-transformers to 1e-5; `GUIDANCE_BOT_ENCODER=sentence-transformers` switches back to it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from knowledge.encoder_adapters import EncoderAdapters

BATCH_SIZE = 32


class UnsupportedModelError(RuntimeError):
    """The model directory describes something other than a mean-pooled, normalised BERT encoder."""


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def check_supported(model_dir: Path) -> tuple[dict[str, Any], int]:
    """The BERT config and the maximum sequence length, after checking this encoder computes what the files describe."""
    config = _read_json(model_dir / "config.json")
    modules = [m["type"].rsplit(".", 1)[-1] for m in _read_json(model_dir / "modules.json")]
    pooling = _read_json(model_dir / "1_Pooling" / "config.json")
    problems = []
    if config.get("model_type") != "bert":
        problems.append(f"model_type {config.get('model_type')!r} is not 'bert'")
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        problems.append("only GELU activations and absolute positions are supported")
    if modules != ["Transformer", "Pooling", "Normalize"]:
        problems.append(f"modules {modules} are not Transformer, Pooling, Normalize")
    if not pooling.get("pooling_mode_mean_tokens") or any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    ):
        problems.append("pooling is not plain mean pooling")
    if problems:
        raise UnsupportedModelError(
            f"The model in {model_dir} cannot run on the direct torch encoder ({'; '.join(problems)}): "
            "set GUIDANCE_BOT_ENCODER=sentence-transformers."
        )
    max_length = int(_read_json(model_dir / "sentence_bert_config.json").get("max_seq_length", 256))
    return config, min(max_length, int(config["max_position_embeddings"]))


def load_tokenizer(model_dir: Path, config: dict[str, Any], max_length: int) -> Any:
    """The model's own tokenizer, truncating at its window and padding batches with its pad id."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
    return tokenizer


def encode_in_batches(texts: list[str], dimension: int, encode_batch: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Encode in batches of similar length: sorting keeps padding (wasted work) small for many texts."""
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), dimension), dtype=np.float32)
    for start in range(0, len(order), BATCH_SIZE):
        chunk = order[start : start + BATCH_SIZE]
        out[chunk] = encode_batch([texts[i] for i in chunk])
    return out


def core_module(torch: Any, weights: dict[str, Any], config: dict[str, Any]) -> Any:
    """The BERT forward pass as a TorchScript module (built here so torch is imported only when needed).

    Why TorchScript: run eagerly, every one of the ~80 torch calls in a forward pass gives the GIL back and
    must win it again. Measured here, one Python thread busy with other work cut two encoder threads
    from 141 to 5 encodes a second (each re-acquisition waits out the 5 ms switch interval); scripted,
    the whole pass runs in C++ and the same test gives 46 a second. Same vectors either way.
    """
    functional = torch.nn.functional
    tensor_list = list[torch.Tensor]

    class MiniLMCore(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads: int = int(config["num_attention_heads"])
            self.dim: int = int(config["hidden_size"])
            self.eps: float = float(config["layer_norm_eps"])
            self.words = weights["embeddings.word_embeddings.weight"]
            self.positions = weights["embeddings.position_embeddings.weight"]
            self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
            self.norm_w = weights["embeddings.LayerNorm.weight"]
            self.norm_b = weights["embeddings.LayerNorm.bias"]
            layers = range(int(config["num_hidden_layers"]))

            def stack(name: str, part: str) -> tensor_list:
                return [weights[f"encoder.layer.{i}.{name}.{part}"].contiguous() for i in layers]

            # Query, key and value fused into one matrix: one product per layer instead of three.
            self.qkv_w: tensor_list = [
                torch.cat([weights[f"encoder.layer.{i}.attention.self.{n}.weight"] for n in ("query", "key", "value")]) for i in layers
            ]
            self.qkv_b: tensor_list = [
                torch.cat([weights[f"encoder.layer.{i}.attention.self.{n}.bias"] for n in ("query", "key", "value")]) for i in layers
            ]
            self.out_w, self.out_b = stack("attention.output.dense", "weight"), stack("attention.output.dense", "bias")
            self.mid_norm_w, self.mid_norm_b = stack("attention.output.LayerNorm", "weight"), stack("attention.output.LayerNorm", "bias")
            self.up_w, self.up_b = stack("intermediate.dense", "weight"), stack("intermediate.dense", "bias")
            self.down_w, self.down_b = stack("output.dense", "weight"), stack("output.dense", "bias")
            self.end_norm_w, self.end_norm_b = stack("output.LayerNorm", "weight"), stack("output.LayerNorm", "bias")

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            batch, length, dim = ids.size(0), ids.size(1), self.dim
            width = dim // self.heads
            # Tokens stay one (batch * length, dim) matrix: 2-D products are faster than 3-D ones here.
            hidden = (self.words[ids] + self.positions[:length] + self.token_type).view(batch * length, dim)
            hidden = functional.layer_norm(hidden, [dim], self.norm_w, self.norm_b, self.eps)
            # Padding positions get the most negative score, so attention ignores them.
            bias = (1.0 - mask[:, None, None, :].float()) * -3.4028234663852886e38
            for i in range(len(self.qkv_w)):
                qkv = functional.linear(hidden, self.qkv_w[i], self.qkv_b[i]).view(batch, length, 3, self.heads, width)
                qkv = qkv.permute(2, 0, 3, 1, 4)
                attended = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias)
                attended = attended.transpose(1, 2).reshape(batch * length, dim)
                residual = functional.linear(attended, self.out_w[i], self.out_b[i]) + hidden
                hidden = functional.layer_norm(residual, [dim], self.mid_norm_w[i], self.mid_norm_b[i], self.eps)
                inner = functional.gelu(functional.linear(hidden, self.up_w[i], self.up_b[i]))
                residual = functional.linear(inner, self.down_w[i], self.down_b[i]) + hidden
                hidden = functional.layer_norm(residual, [dim], self.end_norm_w[i], self.end_norm_b[i], self.eps)
            tokens = mask[:, :, None].to(hidden.dtype)
            pooled = (hidden.view(batch, length, dim) * tokens).sum(1) / tokens.sum(1).clamp(min=1e-9)
            return functional.normalize(pooled, dim=-1)

    with warnings.catch_warnings():
        # TorchScript is deprecated in favour of torch.compile, which needs a C++ compiler at run time, and
        # torch.export, which runs op by op from Python again. torch is pinned (2.13.0), so this holds.
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=DeprecationWarning)
        return torch.jit.script(MiniLMCore().eval())


class TorchMiniLMEmbedder:
    """Encodes with the shipped weights (plus a tuned variant's adapters, if given): tokenizer -> scripted
    BERT -> masked mean -> L2 normalise."""

    def __init__(self, model_dir: Path, name: str, adapters: EncoderAdapters | None = None) -> None:
        import torch
        from safetensors.torch import load_file

        config, max_length = check_supported(model_dir)
        self.name = name
        self.dimension = int(config["hidden_size"])
        self._torch = torch
        weights = load_file(str(model_dir / "model.safetensors"))
        self._core = core_module(torch, adapters.merged(weights) if adapters else weights, config)
        self._tokenizer = load_tokenizer(model_dir, config, max_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        return encode_in_batches(texts, self.dimension, self._encode_batch)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        encodings = self._tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encodings])
        mask = torch.tensor([e.attention_mask for e in encodings])
        with torch.inference_mode():
            return self._core(ids, mask).numpy()
