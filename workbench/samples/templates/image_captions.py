"""Image captions: kind shares and spam captions (``make_image_captions``; the scenes and
their captions come from :mod:`workbench._shapes`)."""

from __future__ import annotations

__all__ = ["KIND_SHARES", "SPAM_CAPTIONS"]

KIND_SHARES = {"correct": 0.65, "mismatched": 0.10, "spam": 0.05, "exact_duplicate": 0.07,
               "near_duplicate": 0.08,
               "edited_duplicate": 0.05}
SPAM_CAPTIONS = ["click here best price", "buy now free shipping", "best deals visit our store",
                 "limited offer click the link", "download free wallpapers here",
                 "cheap prices click here now", "win a free phone today"]

