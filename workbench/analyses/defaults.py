"""The parameters of every report and their defaults, declared once.

A report's notebook (its ``parameters`` cell), its analysis (``run``'s keyword defaults) and
its CLI command (option defaults) all take these values; ``tests/test_analyses.py`` checks
that the notebooks' literals and the CLI's defaults equal them. This module imports nothing,
so the CLI can read it without loading pandas.

Examples
--------
>>> LENGTH_BIAS["length"]
'tokens'
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACCEPTANCE_PLAN",
    "ANNOTATION_RELIABILITY",
    "ANNOTATOR_DRIFT",
    "DATA_INTERVENTION_AB",
    "DATA_OVERVIEW",
    "DEDUP_AUDIT",
    "FILTER_LEARNING",
    "LENGTH_BIAS",
    "QUALITY_DASHBOARD",
    "REPORT_DEFAULTS",
    "SPOT_CHECK_REVIEW",
    "THRESHOLD_EXPLORATION",
    "VENDOR_COMPARISON",
]

LENGTH_BIAS: dict[str, Any] = {
    "format": "auto", "chosen_rejected": False, "length": "tokens", "by": "annotator_id", "delta_bins": 5,
    "min_delta": 0.0, "confidence": 0.95, "candidate": "a", "baseline": "", "win_probability": "auto",
    "rebalance_bins": 10, "seed": 0, "options": {},
}

DATA_INTERVENTION_AB: dict[str, Any] = {
    "min_gold_accuracy": 0.85, "reference_docs": 400, "language": "en", "dedup_threshold": 0.8,
    "sweep_metric": "top_4gram_char_fraction", "sweep_direction": "max",
    "sweep_thresholds": [0.08, 0.12, 0.16, 0.25, 0.5], "n_repeats": 5, "seed": 0, "options": {},
}

QUALITY_DASHBOARD: dict[str, Any] = {"refresh_s": 10.0, "cost_per_hour": 30.0, "idle": "10min"}

SPOT_CHECK_REVIEW: dict[str, Any] = {
    "reviewer": "you", "min_display_ms": 300, "review_tags": [], "blind": True, "strategy": "triage", "n_items": 2000,
    "queue_size": 300, "gold_share": 0.1, "overlap_share": 0.2,
    "triage_high": {"top_2gram_char_fraction": 0.12, "duplicate_line_fraction": 0.3},
    "triage_low": {"mean_word_length": 3.5},
    "patterns": ["subscribe to our newsletter", "all rights reserved", "sign in \\| register"],
    "explore_share": 0.3, "simulate": True, "n_simulated": 2, "simulated_per_reviewer": 250,
    "hidden_metric": "top_2gram_char_fraction", "hidden_direction": "max", "hidden_quantile": 0.85,
    "reviewer_error_rate": 0.05, "calibrate_metrics": ["top_2gram_char_fraction", "mean_word_length"],
    "calibrate_min_per_side": 20, "cost_per_hour": 30.0, "seed": 0,
}

ANNOTATOR_DRIFT: dict[str, Any] = {
    "format": "auto", "window": "auto", "baseline": "auto", "levels": ["annotator_id", "cohort"], "alpha": 0.01,
    "min_judgments": 30, "segment_by": ["annotator_id", "cohort", "category", "guideline_version", "period"],
    "period": "auto", "max_depth": 3, "min_segment_n": 20, "top_causes": 10, "options": {},
}

DEDUP_AUDIT: dict[str, Any] = {
    "method": "minhash", "threshold": 0.8, "ngram": 5, "unit": "word", "num_perm": 128, "keep": "first",
    "group_by": "source", "n_near_pairs": 8, "compare": ["exact", "simhash", "minhash"], "semantic_docs": 0,
    "semantic_threshold": 0.9, "min_recall": 0.95, "options": {},
}

THRESHOLD_EXPLORATION: dict[str, Any] = {
    "cache_dir": "", "n_docs": 80, "n_pairs": 400, "perplexity_model": "", "perplexity_threshold": 300.0,
    "clip_model": "", "clip_threshold": 0.5, "language": "en", "dedup_threshold": 0.8, "audit_samples": 3, "seed": 0,
    "options": {},
    # the image-caption view (issue 31)
    "pair_id_column": "pair_id", "image_column": "image", "caption_column": "caption",
    "caption_spam_max": {"url_count": 0, "seo_term_count": 1, "repeated_word_fraction": 0.3},
    "image_dedup_method": "phash", "image_dedup_threshold": -1.0, "n_thumbnails": 12,
}

ANNOTATION_RELIABILITY: dict[str, Any] = {
    "format": "auto", "item_column": "item_id", "annotator_column": "annotator_id", "label_column": "label",
    "level": "nominal", "value_order": [], "segment_column": "category", "n_resamples": 1000, "confidence": 0.95,
    "min_kappa": 0.7, "min_qa_accuracy": 0.95, "qa_fraction": 0.10, "min_qa_items": 30, "near_random_margin": 0.1,
    "straight_line_share": 0.9, "position_share": 0.7, "min_judgments": 20, "seed": 0, "options": {},
}

VENDOR_COMPARISON: dict[str, Any] = {
    "format": "auto", "kind": "auto", "name_a": "Vendor A", "name_b": "Vendor B", "cost_a": -1.0, "cost_b": -1.0,
    "confidence": 0.95, "n_resamples": 2000, "near_random_margin": 0.1, "seed": 0, "n_examples": 4, "options": {},
}

DATA_OVERVIEW: dict[str, Any] = {"format": "auto", "kind": "", "options": {}}

ACCEPTANCE_PLAN: dict[str, Any] = {
    "method": "zero-failure", "lot_size": 1000000, "target": 0.999, "confidence": 0.95, "aql": 1.0, "ltpd": 5.0,
    "producer_risk": 0.05, "consumer_risk": 0.10, "kind": "hypergeometric", "level": "II", "inspection": "normal",
    "item_column": "item_id", "correct_column": "correct", "correct_values": [], "format": "auto", "options": {},
}

FILTER_LEARNING: dict[str, Any] = {
    "item_column": "item_id", "decisions_item_column": "item_id", "decision_column": "decision", "columns": [],
    "features": "scores", "text_column": "text", "image_column": "", "allow_outside": False, "embedding_model": "",
    "cache_dir": "",
    "target": "", "keep": ["Acceptable"], "folds": 5, "confidence": 0.95, "label_issue_confidence": 0.9,
    "curve_seeds": 3, "curve_budget": 0, "curve_step": 0, "random_share": 0.2, "seed": 0, "format": "auto",
    "options": {},
}

#: report name -> its defaults (the notebook parameters that are not input paths)
REPORT_DEFAULTS: dict[str, dict[str, Any]] = {
    "data_overview": DATA_OVERVIEW,
    "vendor_comparison": VENDOR_COMPARISON,
    "annotation_reliability": ANNOTATION_RELIABILITY,
    "threshold_exploration": THRESHOLD_EXPLORATION,
    "dedup_audit": DEDUP_AUDIT,
    "annotator_drift": ANNOTATOR_DRIFT,
    "length_bias": LENGTH_BIAS,
    "data_intervention_ab": DATA_INTERVENTION_AB,
    "quality_dashboard": QUALITY_DASHBOARD,
    "spot_check_review": SPOT_CHECK_REVIEW,
    "acceptance_plan": ACCEPTANCE_PLAN,
    "filter_learning": FILTER_LEARNING,
}
