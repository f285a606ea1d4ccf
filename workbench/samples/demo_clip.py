"""Train the small demo CLIP on the synthetic shape captions of :mod:`workbench._shapes`.

No installable package carries CLIP weights and no model hub is reachable offline, so the
workbench trains its own tiny CLIP (a transformers ``CLIPModel`` of about 0.42 M parameters,
64 px images in 8 px patches, a word-level vocabulary of the caption words) by contrastive
learning on freshly generated image–caption pairs, and commits the checkpoint under
``data_samples/models/demo_clip/``. It is the default model of
:func:`workbench.scoring.clip.clip_score` and is domain-limited: it knows coloured shapes on
a plain background and nothing else.

The pairs are drawn and worded in many styles (:mod:`workbench.samples._demo_clip_data`) and
every batch holds scenes that differ in one attribute, mostly the shape, a caption per image
with its shape or colour changed, and all 48 colour × shape captions, so the model binds
colours to shapes instead of learning one drawing style and one caption grammar. A linear
shape probe on the image features, trained alongside and not saved, teaches the vision
tower outlines: contrastive terms alone learned colour within a few hundred steps but left
shape at chance after 1,250 steps.

``workbench train-demo-clip OUT_DIR`` runs :func:`train_demo_clip`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench._models import DEMO_CLIP_DIR
from workbench._shapes import (
    COLOURS,
    SHAPES,
    TEMPLATES,
    ShapeSpec,
    caption_specs,
    captions_for,
    mismatched_specs,
    render_batch,
)
from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples._demo_clip_data import (
    CaptionBatch,
    attribute_captions,
    encode_specs,
    positives,
    render_varied_batch,
    training_specs,
    training_vocabulary,
    varied_captions,
)

if TYPE_CHECKING:  # pragma: no cover
    from workbench.scoring.clip import ClipModel

__all__ = [
    "DEMO_CLIP_DIR",
    "SPECIAL_TOKENS",
    "DemoClipTraining",
    "HeldOutEvaluation",
    "build_demo_clip",
    "demo_clip_tokenizer",
    "evaluate_held_out",
    "held_out_pairs",
    "train_demo_clip",
]

#: Where the committed demo checkpoint lives (config, weights, tokenizer, model card).

#: Special tokens and their ids. The end-of-text id is deliberately not 2: transformers'
#: CLIP text model switches to a legacy pooling (argmax of the ids) when ``eos_token_id == 2``.
SPECIAL_TOKENS: dict[str, int] = {"<pad>": 0, "<bos>": 1, "<unk>": 2, "<eos>": 3}

_IMAGE_SIZE = 64
_MAX_TOKENS = 16  # longest caption is 10 words + <bos> + <eos>
_SEED_SPLIT = 1_000_003  # held-out pairs use seeds offset by this, never seen in training


@dataclass(frozen=True)
class HeldOutEvaluation:
    """ROC AUC of the CLIP score for matching vs mismatching captions on fresh pairs.

    Attributes
    ----------
    n_images : int
        Number of held-out images; each has one matching and two mismatching captions.
    auc_random : float
        AUC of matching captions vs the caption of another random scene.
    auc_one_attribute : float
        AUC of matching captions vs a caption with exactly one attribute changed (hard).
    mean_match, mean_mismatch : float
        Mean cosine of matching and of random mismatching pairs.
    """

    n_images: int
    auc_random: float
    auc_one_attribute: float
    mean_match: float
    mean_mismatch: float

    def to_frame(self) -> pd.DataFrame:
        """One row per negative kind with columns negatives, n_images, auc."""
        return pd.DataFrame(
            {
                "negatives": ["random caption", "one attribute changed"],
                "n_images": [self.n_images, self.n_images],
                "auc": [self.auc_random, self.auc_one_attribute],
            }
        )

    def summary(self) -> str:
        """One paragraph for reports."""
        return (
            f"On {self.n_images:,} held-out generated images the demo CLIP ranks the matching "
            f"caption above a random other caption with ROC AUC {self.auc_random:.3f} and above "
            f"a caption with one attribute changed with AUC {self.auc_one_attribute:.3f} "
            f"(mean cosine {self.mean_match:.3f} matching vs {self.mean_mismatch:.3f} mismatching)."
        )


@dataclass(frozen=True)
class DemoClipTraining:
    """What :func:`train_demo_clip` did and how good the result is.

    Attributes
    ----------
    out_dir : Path
        Directory of the saved checkpoint.
    n_parameters : int
    steps : int
        Optimizer steps taken.
    batch_size : int
    seconds : float
        Wall-clock training time (generation of pairs included).
    cpu_seconds : float
        CPU time of the training process over the same span (all its threads). On a
        machine shared with other jobs the wall-clock time is inflated; this is not.
    final_loss : float
        Mean contrastive loss of the last 50 steps.
    held_out : HeldOutEvaluation
    """

    out_dir: Path
    n_parameters: int
    steps: int
    batch_size: int
    seconds: float
    cpu_seconds: float
    final_loss: float
    held_out: HeldOutEvaluation

    def to_frame(self) -> pd.DataFrame:
        """One row with the training facts and the held-out AUCs."""
        return pd.DataFrame(
            [
                {
                    "out_dir": str(self.out_dir),
                    "n_parameters": self.n_parameters,
                    "steps": self.steps,
                    "batch_size": self.batch_size,
                    "seconds": self.seconds,
                    "cpu_seconds": self.cpu_seconds,
                    "final_loss": self.final_loss,
                    "auc_random": self.held_out.auc_random,
                    "auc_one_attribute": self.held_out.auc_one_attribute,
                }
            ]
        )

    def summary(self) -> str:
        """One paragraph for reports."""
        return (
            f"Trained a {self.n_parameters:,}-parameter CLIP for {self.steps:,} steps of "
            f"{self.batch_size} pairs in {self.seconds / 60:.1f} min (final loss "
            f"{self.final_loss:.3f}); saved to {self.out_dir}. " + self.held_out.summary()
        )


def demo_clip_tokenizer():  # type: ignore[no-untyped-def]
    """The word-level tokenizer of the demo CLIP (a transformers ``PreTrainedTokenizerFast``).

    Every caption word of :func:`workbench._shapes.caption_vocabulary` is one token; text is
    lower-cased and split on whitespace and punctuation; ``<bos>`` and ``<eos>`` wrap it.

    Examples
    --------
    >>> tok = demo_clip_tokenizer()
    >>> ids = tok("two red circles")["input_ids"]
    >>> ids[0] == SPECIAL_TOKENS["<bos>"], ids[-1] == SPECIAL_TOKENS["<eos>"], len(ids)
    (True, True, 5)
    """
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = dict(SPECIAL_TOKENS)
    for word in training_vocabulary():
        vocab[word] = len(vocab)
    core = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>",
        special_tokens=[("<bos>", SPECIAL_TOKENS["<bos>"]), ("<eos>", SPECIAL_TOKENS["<eos>"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
        pad_token="<pad>",
        model_max_length=_MAX_TOKENS,
    )


def build_demo_clip(vocab_size: int, *, seed: int = 0, patch_size: int = 8):  # type: ignore[no-untyped-def]
    """A freshly initialised tiny ``CLIPModel`` (about 0.42 M parameters).

    Examples
    --------
    >>> model = build_demo_clip(40)
    >>> sum(p.numel() for p in model.parameters()) < 1_000_000
    True
    """
    import torch
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config={
            "vocab_size": vocab_size,
            "hidden_size": 96,
            "intermediate_size": 192,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "max_position_embeddings": _MAX_TOKENS,
            "pad_token_id": SPECIAL_TOKENS["<pad>"],
            "bos_token_id": SPECIAL_TOKENS["<bos>"],
            "eos_token_id": SPECIAL_TOKENS["<eos>"],
        },
        vision_config={
            "hidden_size": 96,
            "intermediate_size": 192,
            "num_hidden_layers": 3,
            "num_attention_heads": 4,
            "image_size": _IMAGE_SIZE,
            "patch_size": patch_size,
            "num_channels": 3,
        },
        projection_dim=64,
    )
    torch.manual_seed(seed)  # torch has no per-call generator for module init
    return CLIPModel(config)


def _image_processor():  # type: ignore[no-untyped-def]
    from transformers import CLIPImageProcessor

    return CLIPImageProcessor(
        size={"shortest_edge": _IMAGE_SIZE},
        crop_size={"height": _IMAGE_SIZE, "width": _IMAGE_SIZE},
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )


def _pixels(images: np.ndarray):  # type: ignore[no-untyped-def]
    """uint8 (n, h, w, 3) → normalised float tensor (n, 3, h, w), as the processor does."""
    import torch

    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    return x.div_(127.5).sub_(1.0)


def held_out_pairs(
    n_images: int = 1000, *, rng: int | np.random.Generator | None = 0
) -> pd.DataFrame:
    """Fresh generated pairs for judging a CLIP: one matching and two mismatching per image.

    Parameters
    ----------
    n_images : int
    rng : int, numpy Generator or None
        Integer seeds are offset so the pairs never coincide with the training stream.

    Returns
    -------
    DataFrame with columns image_index, kind (``match``, ``random``, ``one_attribute``),
    caption, label (1 for match), and ``.attrs["images"]``: a list of PIL images.

    Examples
    --------
    >>> pairs = held_out_pairs(4, rng=1)
    >>> pairs["kind"].value_counts().to_dict()
    {'match': 4, 'random': 4, 'one_attribute': 4}
    """
    from PIL import Image

    gen = as_rng(rng + _SEED_SPLIT if isinstance(rng, (int, np.integer)) else rng)
    specs = caption_specs(n_images, gen)
    images = render_batch(specs, _IMAGE_SIZE, gen)
    others: list[ShapeSpec] = caption_specs(n_images, gen)
    # A "random" negative must describe a different scene.
    same = [a == b for a, b in zip(specs, others, strict=True)]
    if any(same):
        fixes = iter(mismatched_specs([s for s, m in zip(specs, same, strict=True) if m], gen, n_changes=2))
        others = [next(fixes) if m else o for o, m in zip(others, same, strict=True)]
    hard = mismatched_specs(specs, gen, n_changes=1)
    idx = np.arange(n_images)
    frame = pd.DataFrame(
        {
            "image_index": np.concatenate([idx, idx, idx]),
            "kind": ["match"] * n_images + ["random"] * n_images + ["one_attribute"] * n_images,
            "caption": captions_for(specs, gen)
            + captions_for(others, gen)
            # every hard negative names all five attributes, so a changed size is visible
            + captions_for(hard, gen, templates=[t for t in TEMPLATES if "{size}" in t]),
        }
    )
    frame["label"] = (frame["kind"] == "match").astype(int)
    frame.attrs["images"] = [Image.fromarray(a) for a in images]
    return frame


def evaluate_held_out(
    model: str | os.PathLike[str] | ClipModel | None = None, *, n_images: int = 1000, rng: int | np.random.Generator | None = 0
) -> HeldOutEvaluation:
    """ROC AUC of :func:`~workbench.scoring.clip.clip_score` on fresh held-out pairs.

    Parameters
    ----------
    model : None, path or loaded ``ClipModel``
        ``None`` is the committed demo checkpoint.
    n_images : int
    rng : int, numpy Generator or None

    Returns
    -------
    HeldOutEvaluation
    """
    from sklearn.metrics import roc_auc_score

    from workbench.scoring.clip import clip_score

    pairs = held_out_pairs(n_images, rng=rng)
    images = pairs.attrs["images"]
    scores = clip_score(
        [images[i] for i in pairs["image_index"]], pairs["caption"].tolist(), model=model
    )
    kind = pairs["kind"].to_numpy()
    match = scores[kind == "match"]
    aucs = {}
    for neg in ("random", "one_attribute"):
        other = scores[kind == neg]
        y = np.r_[np.ones(len(match)), np.zeros(len(other))]
        aucs[neg] = float(roc_auc_score(y, np.r_[match, other]))
    return HeldOutEvaluation(
        n_images=n_images,
        auc_random=aucs["random"],
        auc_one_attribute=aucs["one_attribute"],
        mean_match=float(match.mean()),
        mean_mismatch=float(scores[kind == "random"].mean()),
    )


def _hard_variants(specs: list[ShapeSpec], gen: np.random.Generator, *, shape_share: float = 0.6) -> list[ShapeSpec]:
    """Each spec with one attribute changed: the shape (``shape_share``), else mostly the colour.

    Colour is read off the mean of the pixels and learned within a few hundred steps; the
    shape needs the outline and most of the training signal, hence the larger share.
    """
    colours, n = tuple(COLOURS), len(specs)
    which = gen.random(n)
    other = mismatched_specs(specs, gen, n_changes=1)
    out = []
    for spec, w, o in zip(specs, which.tolist(), other, strict=True):
        if w < shape_share:
            new = SHAPES[(SHAPES.index(spec.shape) + int(gen.integers(1, len(SHAPES)))) % len(SHAPES)]
            out.append(replace(spec, shape=new))
        elif w < 0.9:
            new = colours[(colours.index(spec.colour) + int(gen.integers(1, len(colours)))) % len(colours)]
            out.append(replace(spec, colour=new))
        else:
            out.append(o)
    return out


def _batch(gen: np.random.Generator, batch_size: int, tokenizer, grid: CaptionBatch):  # type: ignore[no-untyped-def]
    """Images, captions and positives.

    Captions: the batch's own, then one hard negative per image, then the 48 colour × shape
    captions of :func:`attribute_captions` (``grid``). Half the scenes are drawn by
    :func:`training_specs`, the other half are copies of them with one attribute changed
    (mostly the shape), so every batch holds pairs that differ only in how colour is bound
    to shape. Each image also gets an extra caption of its scene with the shape or the
    colour changed. ``positive[i, j]`` says caption ``i`` truly describes image ``j``
    (captions that leave attributes out describe several).
    """
    import torch

    n_base = batch_size - batch_size // 2
    base = training_specs(n_base, gen)
    specs = base + _hard_variants(base, gen)[: batch_size - n_base]
    images = _pixels(render_varied_batch(specs, _IMAGE_SIZE, gen))
    negatives = _hard_variants(specs, gen)
    caps = varied_captions(specs, gen)
    neg_caps = varied_captions(negatives, gen)
    joined = CaptionBatch(caps.captions + neg_caps.captions + grid.captions,
                          np.concatenate([caps.allowed, neg_caps.allowed, grid.allowed]))
    tokens = tokenizer(joined.captions, padding="longest", truncation=True,
                       max_length=_MAX_TOKENS, return_tensors="pt")
    positive = torch.from_numpy(positives(joined, encode_specs(specs)))
    shapes = torch.tensor([SHAPES.index(spec.shape) for spec in specs])
    return images, tokens, positive, shapes


def _loss(model, probe, pixels, tokens, positive, shapes, *,  # type: ignore[no-untyped-def]
          n_grid: int, hard_weight: float, attribute_weight: float, probe_weight: float):
    """Multi-positive symmetric contrastive loss plus hard-negative, attribute and probe terms.

    Image → text: softmax over every caption of the batch (the hard negatives included),
    the target spread evenly over the captions true of the image. Text → image: the same
    over images, for captions true of at least one image. Hard-negative term: the mean
    softplus of (negative − own caption) logits for each image and its altered caption.
    Attribute term: image → text softmax over the 48 colour × shape captions alone (the
    last ``n_grid`` rows), so the colour and shape alternatives compete without the other captions.
    Probe term: cross-entropy of a linear shape classifier (``probe``) on the pooled image
    features, which teaches the vision tower outlines several times faster than the
    contrastive terms alone; the probe is dropped after training.
    """
    import torch
    import torch.nn.functional as F

    n = pixels.shape[0]
    pooled = model.vision_model(pixel_values=pixels).pooler_output
    img = F.normalize(model.visual_projection(pooled), dim=-1)
    txt = F.normalize(_features(model.get_text_features(
        input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])), dim=-1)
    logits = model.logit_scale.exp().clamp(max=100) * txt @ img.T  # (captions, images)
    pos = positive.float()
    i2t = F.cross_entropy(logits.T, pos.T / pos.T.sum(1, keepdim=True))
    has = pos.sum(1) > 0
    t2i = F.cross_entropy(logits[has], pos[has] / pos[has].sum(1, keepdim=True))
    own = logits[torch.arange(n), torch.arange(n)]
    neg = logits[n + torch.arange(n), torch.arange(n)]
    real = ~positive[n + torch.arange(n), torch.arange(n)]
    hard = F.softplus(neg - own)[real].mean() if bool(real.any()) else logits.new_zeros(())
    grid_pos = pos[-n_grid:].T
    seen = grid_pos.sum(1) > 0
    grid = F.cross_entropy(logits[-n_grid:].T[seen], grid_pos[seen] / grid_pos[seen].sum(1, keepdim=True))
    probe_loss = F.cross_entropy(probe(pooled), shapes)
    return 0.5 * (i2t + t2i) + hard_weight * hard + attribute_weight * grid + probe_weight * probe_loss


def _features(out):  # type: ignore[no-untyped-def]
    import torch

    return out if isinstance(out, torch.Tensor) else out.pooler_output


def train_demo_clip(
    out_dir: str | Path,
    *,
    steps: int = 3000,
    minutes: float | None = 15.0,
    batch_size: int = 64,
    lr: float = 1e-3,
    rng: int = 0,
    n_eval: int = 1000,
    threads: int | None = 1,
    hard_weight: float = 0.5,
    attribute_weight: float = 1.0,
    probe_weight: float = 1.0,
    max_grad_norm: float | None = None,
    patch_size: int = 8,
    progress: bool = False,
) -> DemoClipTraining:
    """Train the demo CLIP by contrastive learning on generated pairs and save it.

    Every step draws ``batch_size`` new scenes, renders them and captions them in a random
    phrasing; the loss is CLIP's symmetric cross-entropy over the in-batch similarity
    matrix, where pairs that describe the same scene count as positives of each other.
    AdamW with a linear warm-up and a cosine decay over the budget: ``steps``, or
    ``minutes`` of wall-clock time when that runs out first (a busy machine then takes fewer
    steps but still anneals). After training, the model
    is judged on fresh held-out pairs (:func:`evaluate_held_out`) and saved with its
    tokenizer, image processor and a model card (README.md) stating the result.

    Parameters
    ----------
    out_dir : str or Path
        Directory to write (created; existing checkpoint files are replaced).
    steps : int
        Optimizer steps; the learning-rate schedule spans them.
    minutes : float or None
        Wall-clock budget; the learning-rate schedule follows whichever budget is spent
        faster and training stops when it is spent. Pass ``None`` for a run that is
        bit-for-bit reproducible (same steps, same data, same result on the same machine).
    batch_size : int
    lr : float
        Peak learning rate.
    rng : int
        Seed of the data stream and of the initialisation.
    n_eval : int
        Held-out images for the AUC.
    threads : int or None
        torch intra-op threads during training and evaluation (``None`` leaves torch's
        setting). One thread is the default: on a busy shared 2-core machine two threads
        ran a step 10× slower than one (they wait for each other).
    hard_weight : float
        Weight of the hard-negative ranking term of the loss (each image against its own
        caption with the colour or the shape changed); 0 leaves plain contrastive learning.
    attribute_weight : float
        Weight of the attribute term: each image against the 48 colour × shape captions
        alone (:func:`~workbench.samples._demo_clip_data.attribute_captions`).
    probe_weight : float
        Weight of a linear shape classifier on the pooled image features, trained alongside
        and dropped when saving. Without it the contrastive terms had not taught the vision
        tower shapes after 1,250 steps (12-way top-1 on foreign shapes 0.31–0.44); with it,
        0.71 (see the model card).
    max_grad_norm : float or None
        Clip the gradient norm to this; ``None`` does not clip. Clipping at 1.0 kept the
        model from learning shapes within the budget (colour only, shape at chance after
        1,000 steps); unclipped it learned both.
    patch_size : int
        Side of the vision transformer's patches in pixels.
    progress : bool
        Print the loss every 100 steps.

    Returns
    -------
    DemoClipTraining

    Raises
    ------
    WorkbenchError
        On a non-positive ``steps``, ``batch_size`` or ``minutes``.
    """
    import torch

    if steps < 1 or batch_size < 2 or (minutes is not None and minutes <= 0):
        raise WorkbenchError(
            f"train_demo_clip: steps must be >= 1, batch_size >= 2 and minutes > 0 or None; "
            f"got steps={steps}, batch_size={batch_size}, minutes={minutes}."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        tokenizer = demo_clip_tokenizer()
        model = build_demo_clip(len(tokenizer), seed=rng, patch_size=patch_size)
        n_params = sum(p.numel() for p in model.parameters())
        probe = torch.nn.Linear(model.config.vision_config.hidden_size, len(SHAPES))
        grid = attribute_captions()
        opt = torch.optim.AdamW([*model.parameters(), *probe.parameters()], lr=lr, weight_decay=0.05)
        warmup = max(1, steps // 20)
        budget = None if minutes is None else 60.0 * minutes
        gen = np.random.default_rng(rng)
        model.train()
        losses: list[float] = []
        start = time.perf_counter()
        cpu_start = time.process_time()
        step = 0
        for step in range(1, steps + 1):
            # progress: the share of the step budget or of the time budget, whichever is
            # larger, so a slow (busy) machine still anneals the learning rate to zero
            elapsed = time.perf_counter() - start
            progress_ = (step - 1) / steps
            if budget is not None:
                progress_ = max(progress_, elapsed / budget)
            if progress_ >= 1.0:
                step -= 1
                break
            factor = step / warmup if step <= warmup else 0.5 * (1 + np.cos(np.pi * progress_))
            for group in opt.param_groups:
                group["lr"] = lr * factor
            pixels, tokens, positive, shapes = _batch(gen, batch_size, tokenizer, grid)
            loss = _loss(model, probe, pixels, tokens, positive, shapes, n_grid=len(grid.captions),
                         hard_weight=hard_weight,
                         attribute_weight=attribute_weight, probe_weight=probe_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            opt.step()
            losses.append(float(loss.detach()))
            if progress and step % 100 == 0:
                print(
                    f"step {step:5d}  loss {np.mean(losses[-100:]):.3f}  "
                    f"{time.perf_counter() - start:6.0f} s",
                    flush=True,
                )
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        model.eval()
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        _image_processor().save_pretrained(out)
        from workbench.scoring.clip import load_clip

        held_out = evaluate_held_out(load_clip(out), n_images=n_eval, rng=rng)
        result = DemoClipTraining(
            out_dir=out,
            n_parameters=n_params,
            steps=step,
            batch_size=batch_size,
            seconds=seconds,
            cpu_seconds=cpu_seconds,
            final_loss=float(np.mean(losses[-50:])),
            held_out=held_out,
        )
        _write_card(out, result, hard_weight=hard_weight, attribute_weight=attribute_weight, probe_weight=probe_weight,
                    max_grad_norm=max_grad_norm, lr=lr, rng=rng, planned_steps=steps, minutes=minutes,
                    threads=threads)
        return result
    finally:
        torch.set_num_threads(old_threads)


def _write_card(
    out: Path,
    result: DemoClipTraining,
    *,
    hard_weight: float,
    attribute_weight: float,
    probe_weight: float,
    max_grad_norm: float | None,
    lr: float,
    rng: int,
    planned_steps: int,
    minutes: float | None,
    threads: int | None,
) -> None:
    facts = result.to_frame().iloc[0].to_dict()
    facts.pop("out_dir")
    facts.update({"lr": lr, "rng": rng, "planned_steps": planned_steps, "minutes": minutes,
                  "threads": threads, "hard_weight": hard_weight, "attribute_weight": attribute_weight,
                  "probe_weight": probe_weight, "max_grad_norm": max_grad_norm})
    command = (
        f"workbench train-demo-clip OUT_DIR --steps {planned_steps} --minutes {minutes or 0:g} "
        f"--batch-size {result.batch_size} --lr {lr:g} --rng {rng} --threads {threads or 0} "
        f"--hard-weight {hard_weight:g} --attribute-weight {attribute_weight:g} "
        f"--probe-weight {probe_weight:g} "
        f"--max-grad-norm {max_grad_norm or 0:g}"
    )
    budget = (
        f"the {minutes:g}-minute time budget ran out after {result.steps:,} of the "
        f"{planned_steps:,} planned steps, so the schedule followed the time budget"
        if minutes is not None and result.steps < planned_steps
        else f"all {planned_steps:,} planned steps"
    )
    (out / "training.json").write_text(json.dumps(facts, indent=2, default=float) + "\n")
    h = result.held_out
    card = f"""# Demo CLIP (domain-limited)

A tiny CLIP trained from scratch by the workbench on synthetic shape captions: one to three
circles, squares, triangles or diamonds in one of six colours (red, green, blue, yellow,
purple, orange), small or large (up to filling the image), in one of five places, captioned
like "two small red circles on the left", "a picture of a red circle" or "an orange square".
It is the default model of `workbench.scoring.clip_score` so the sample reports show real
CLIP scores offline. **It knows nothing outside this domain**: on photographs its scores mean
nothing. Point `model=` at a real CLIP (e.g. open_clip `ViT-B-32` / `openai`) for real data.

## Model
- transformers `CLIPModel`, {result.n_parameters:,} parameters: vision ViT with 64 px input,
  8 px patches, 3 layers of width 96; text transformer with 2 layers of width 96;
  projection dimension 64.
- Word-level tokenizer over {len(training_vocabulary())} caption words (`tokenizer.json`); any
  other word becomes `<unk>`. `<eos>` id 3 (not 2, which switches transformers' CLIP to a
  legacy pooling).
- Images: resized to 64 px (bicubic), normalised with mean 0.5 and std 0.5
  (`preprocessor_config.json`).

## Training data
Fresh pairs every step (`workbench.samples._demo_clip_data`), never a fixed set:
- drawing: white, grey, dark, pastel, gradient and noisy backgrounds; sizes from small to
  filling the image; filled, outlined and outline-only shapes; antialiasing by 1–4×
  supersampling (or none); jittered places; triangles at any rotation, squares and diamonds
  slightly tilted; colours jittered in hue, saturation and brightness; 15 % drawn by the
  sample generator's own renderer (`workbench._shapes`);
- wording: with and without counts, sizes and positions; "a", "an", "one", "a single";
  prefixes like "a picture of", "an image of"; plurals without a number; "shape" for an
  unnamed shape; the sample generator's phrasings; now and then a word outside the vocabulary;
- scenes weighted towards one large shape (60 % single, 70 % large, 40 % of single shapes
  centred; `training_specs`), since outlines are learned from large shapes;
- a caption that leaves an attribute out counts as true of every image it describes;
- half of each batch are copies of the other half with one attribute changed (shape 60 %,
  colour 30 %, another 10 %), each image gets one extra caption with its shape or colour
  changed, and every batch also holds all 48 colour × shape captions ("a red circle",
  "red circles").

## Training
`{command}` (function `workbench.samples.demo_clip.train_demo_clip`): {result.steps:,} AdamW
steps (peak lr {lr:g}, warm-up then cosine decay; {budget}) of {result.batch_size} pairs each;
loss: symmetric contrastive cross-entropy with every true caption–image pair of the batch as a
positive, plus {hard_weight:g} × a ranking term (softplus of altered-caption minus own-caption
logit), plus {attribute_weight:g} × the image → text cross-entropy over the 48 colour × shape
captions alone, plus {probe_weight:g} × the cross-entropy of a linear shape classifier on the
pooled image features (trained alongside, not saved); gradient norm {"not clipped" if max_grad_norm is None else f"clipped at {max_grad_norm:g}"}.
Final training loss {result.final_loss:.3f}.
Time: {result.cpu_seconds / 60:.1f} CPU minutes ({threads or "torch's default"} torch
thread(s)); {result.seconds / 60:.1f} minutes of wall-clock time on a 2-core machine shared with
other jobs, so the wall-clock time is inflated by them — the CPU time is the cost.

## Held-out evaluation (the training domain)
{h.n_images:,} freshly generated images in the sample generator's style (seeds disjoint from
training), each scored against its matching caption and two mismatching ones:

| negatives | ROC AUC |
| --- | --- |
| caption of another random scene | {h.auc_random:.4f} |
| caption with exactly one attribute changed | {h.auc_one_attribute:.4f} |

Mean cosine: {h.mean_match:.3f} for matching pairs, {h.mean_mismatch:.3f} for random mismatches.
Re-check with `workbench.samples.demo_clip.evaluate_held_out()`; the test suite does so on
other fresh pairs (`tests/test_clip.py`).
"""
    (out / "README.md").write_text(card)
