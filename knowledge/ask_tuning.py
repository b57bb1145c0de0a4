"""Fit the retrieval encoder's adapters offline: `python -m knowledge.ask_tuning` (39 minutes on 2 cores at 2,530 questions on 2026-11-28).

Each example question of knowledge/training/asked.yaml is trained to score its own passage above every
other passage of the bundled guidance (a softmax over all of them: there are only a few dozen, so every
step sees every wrong answer, not a sample). Only low-rank adapters learn (knowledge/encoder_adapters.py);
the base weights stay as shipped. The recipe is fixed and seeded. Needs torch and transformers (installed
with sentence-transformers); nothing here runs when the bot serves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from knowledge.ask_model import RECIPE, training_examples, training_fingerprint
from knowledge.asked import Examples
from knowledge.embedding import model_directory
from knowledge.encoder_adapters import (
    adapted_model,
    mean_pooled,
    shipped_adapters_path,
    trained_pairs,
    warmup_then_decay,
    write_adapters,
)
from knowledge.index import index_text
from knowledge.model import GuidanceDocument

EPOCHS = 4
BATCH = 32
LEARNING_RATE = 3e-4
SCALE = 20.0  # cosine -> logit: a sharp softmax, as in contrastive sentence-embedding training
MAX_TOKENS = 256


def fit(document: GuidanceDocument, examples: Examples, seed: int = 0) -> tuple[Any, list[tuple[str, Any]]]:
    """Tune adapters so each question's vector is nearest its own passage's; returns the model and adapters."""
    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model_dir = model_directory()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    body, adapters = adapted_model(torch, model_dir)
    passages = [index_text(document, p) for p in document.passages]
    owners = np.array([owner for owner, _ in examples.asked])
    questions = [question for _, question in examples.asked]
    pooled = mean_pooled(torch, tokenizer, body, MAX_TOKENS)
    weights = [p for _, a in adapters for p in (a.down, a.up)]
    optimiser = torch.optim.AdamW(weights, lr=LEARNING_RATE, weight_decay=0.01)
    steps = max(1, EPOCHS * -(-len(questions) // BATCH))
    schedule = warmup_then_decay(torch, optimiser, steps)
    body.train()
    for _ in range(EPOCHS):
        order = rng.permutation(len(questions))
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            logits = pooled([questions[i] for i in chosen]) @ pooled(passages).T * SCALE
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(owners[chosen]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    body.eval()
    return body, adapters


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--seed", type=int, default=0,
        help="fit with another seed, to measure how much of a refit's change is chance (the shipped fit uses 0; "
        "another seed needs --out, so a measurement never replaces the shipped encoder)",
    )
    parser.add_argument("--out", type=Path, help="where to write the adapters (default: the shipped file); copy it over the shipped one in a scratch worktree to measure it")
    args = parser.parse_args(argv)
    seed, path = args.seed, args.out or shipped_adapters_path("ask")
    # Checked before the ~30-minute fit, so a mistyped --out costs seconds, not the fit.
    if seed != 0 and path.resolve() == shipped_adapters_path("ask").resolve():
        parser.error("--seed other than 0 would replace the shipped encoder with a measurement: give --out PATH elsewhere")
    if path.resolve() == shipped_adapters_path("risk").resolve():
        parser.error(f"--out {path} is the draft check's shipped model, not the retrieval encoder's")
    if path.is_dir() or not path.parent.is_dir():
        parser.error(f"--out {path}: give a file name in an existing folder")
    import torch

    torch.set_num_threads(2)
    document, examples = training_examples()
    _, adapters = fit(document, examples, seed=seed)
    # The seed is kept in the file: a reseeded copy has the shipped fingerprint and is told apart only by it.
    write_adapters(path, "ask", trained_pairs(adapters), training_fingerprint(document, examples), seed=np.array(seed))
    print(f"wrote {path} ({RECIPE}, seed {seed}) from {len(examples.asked)} questions over {len(document.passages)} passages")


if __name__ == "__main__":
    main()
