"""Automated quality scores: perplexity, CLIP score, text heuristics, language, decisions.

Each score is a function over a sequence of texts (or image–caption pairs) returning an
array or a tidy frame aligned with its input; :func:`score_texts` gathers the text scores
through a :class:`ScoreCache`, and :func:`decide` turns scores into keep / drop / review
decisions with reasons, by declarative :class:`Rule` objects.
"""

from workbench.scoring.cache import CacheInfo, ScoreCache, content_hash, default_cache_dir
from workbench.scoring.clip import clip_score
from workbench.scoring.composite import (
    DUPLICATE_COLUMNS,
    FUNNEL_STAGES,
    NEAR_DUPLICATES,
    TEXT_METRICS,
    AllOf,
    FunnelResult,
    Rule,
    boundary_items,
    buckets,
    cleaning_funnel,
    decide,
    dedup_rules,
    default_rules,
    duplicate_flags,
    format_number,
    funnel_stages,
    keep_rate_sweep,
    load_rules,
    rule_stage,
    rule_threshold,
    save_rules,
    score_texts,
)
from workbench.scoring.perplexity import LoadedLM, load_language_model, perplexity, perplexity_frame
from workbench.scoring.text import (
    SEO_TERMS,
    SPAM_STAT_COLUMNS,
    STOP_WORDS,
    TEXT_STAT_COLUMNS,
    language_id,
    spam_stats,
    text_stats,
)

__all__ = [
    "DUPLICATE_COLUMNS",
    "FUNNEL_STAGES",
    "NEAR_DUPLICATES",
    "dedup_rules",
    "duplicate_flags",
    "AllOf",
    "FunnelResult",
    "boundary_items",
    "cleaning_funnel",
    "keep_rate_sweep",
    "CacheInfo",
    "LoadedLM",
    "Rule",
    "SEO_TERMS",
    "SPAM_STAT_COLUMNS",
    "STOP_WORDS",
    "ScoreCache",
    "TEXT_METRICS",
    "TEXT_STAT_COLUMNS",
    "buckets",
    "clip_score",
    "content_hash",
    "decide",
    "default_cache_dir",
    "default_rules",
    "format_number",
    "funnel_stages",
    "rule_stage",
    "rule_threshold",
    "language_id",
    "load_language_model",
    "load_rules",
    "perplexity",
    "perplexity_frame",
    "save_rules",
    "score_texts",
    "spam_stats",
    "text_stats",
]
