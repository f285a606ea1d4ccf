"""Customer reviews: products and aspects per category, sentence banks (``make_reviews``)."""

from __future__ import annotations

__all__ = ["CLOSE_NEG", "CLOSE_POS", "COMMON", "NEG", "NEUTRAL", "OPEN", "POS", "VOCAB"]

VOCAB: dict[str, dict[str, list[str]]] = {
    "electronics": {
        "product": ["pair of headphones", "phone charger", "laptop stand", "bluetooth speaker",
                    "smart watch", "keyboard", "webcam", "tablet", "wireless mouse"],
        "aspect": ["battery life", "sound quality", "screen", "build quality", "connection",
                   "setup", "charging speed", "software"],
    },
    "books": {
        "product": ["novel", "cookbook", "biography", "travel guide", "history book",
                    "children's book", "thriller", "poetry collection"],
        "aspect": ["story", "writing", "characters", "ending", "pacing", "print quality",
                   "illustrations", "translation"],
    },
    "clothing": {
        "product": ["jacket", "pair of jeans", "dress", "sweater", "pair of running shoes",
                    "t-shirt", "raincoat", "winter coat"],
        "aspect": ["fit", "fabric", "stitching", "colour", "sizing", "comfort", "zip"],
    },
    "kitchen": {
        "product": ["blender", "frying pan", "coffee maker", "knife set", "toaster", "kettle",
                    "rice cooker", "food processor"],
        "aspect": ["handle", "lid", "heating", "cleaning", "design", "motor", "coating"],
    },
    "toys": {
        "product": ["puzzle", "board game", "teddy bear", "building set", "toy car",
                    "doll house", "kite", "train set"],
        "aspect": ["instruction booklet", "colour scheme", "packaging", "durability",
                   "finish", "box"],
    },
}

COMMON = {
    "pos": ["excellent", "great", "fantastic", "sturdy", "reliable", "wonderful", "impressive",
            "perfect", "solid", "lovely", "superb"],
    "neg": ["terrible", "poor", "flimsy", "disappointing", "awful", "cheap", "useless",
            "faulty", "weak", "mediocre", "horrible"],
    "when": ["last month", "a few weeks ago", "for my birthday", "on sale", "as a gift",
             "after reading the reviews", "two months ago"],
    "who": ["my daughter", "my son", "my partner", "our new flat", "my parents", "the office",
            "a friend"],
    "period": ["three weeks", "a month", "two months", "half a year", "a few days"],
}

OPEN = ["I bought this {product} {when}.", "We ordered the {product} for {who}.",
                "I have been using this {product} for {period}.",
                "This {product} was a present for {who}.", "Got the {product} {when}."]
POS = ["The {aspect} is {pos}.", "I love the {aspect}, it is really {pos}.",
               "The {aspect} turned out {pos} and works as described.",
               "Really {pos} {aspect} for the price.", "The {aspect} is {pos} and {pos}.",
               "Everything about the {aspect} feels {pos}."]
NEG = ["The {aspect} is {neg}.", "Sadly the {aspect} is {neg}.",
               "The {aspect} was {neg} from day one.", "Honestly, the {aspect} is {neg} and {neg}.",
               "The {aspect} feels {neg} for the price.", "I expected more, the {aspect} is {neg}."]
NEUTRAL = ["It arrived in a plain box.", "Delivery took about a week.",
                   "The colour matches the photos.", "It came with a short manual."]
CLOSE_POS = ["Highly recommended.", "Would buy again.", "Five stars from me.",
                     "Very happy with this purchase.", "Great value for the money.",
                     "I would recommend it to anyone."]
CLOSE_NEG = ["Would not recommend.", "I returned it the next week.", "Waste of money.",
                     "Very disappointed with this purchase.", "One star.",
                     "I would not buy it again."]

