"""Query–document relevance: topics with queries, their answers and general sentences
(``make_relevance``). ``answer[i]`` answers ``queries[i]``."""

from __future__ import annotations

from typing import TypedDict

__all__ = ["TOPICS", "Topic"]


class Topic(TypedDict):
    """One topic: its domain, queries, the answer of each query, and general sentences."""

    domain: str
    queries: list[str]
    answer: list[str]
    general: list[str]


TOPICS: dict[str, Topic] = {
    "python sorting": {
        "domain": "programming",
        "queries": ["how to sort a list in python", "python sort list descending order",
                    "sort a python list by a key"],
        "answer": ["Use sorted(items) to get a new sorted list, or items.sort() to sort in place.",
                   "Pass reverse=True to sorted or to sort for descending order.",
                   "The key argument takes a function, for example key=len sorts by length."],
        "general": ["Python lists keep their items in the order you add them.",
                    "A list can hold numbers, strings and other objects.",
                    "Lists are one of the most common data structures in Python.",
                    "Many beginners learn about lists in their first week of Python."],
    },
    "git branches": {
        "domain": "programming",
        "queries": ["how to create a new branch in git", "git switch to another branch",
                    "delete a local git branch"],
        "answer": ["Run git switch -c name to create a branch and move to it.",
                   "Use git switch name to move to a branch that already exists.",
                   "git branch -d name deletes a local branch that has been merged."],
        "general": ["Git is a version control system used by most software teams.",
                    "Every commit in git records a snapshot of the project.",
                    "Teams often review changes before they are merged.",
                    "Git was created in 2005 for the development of Linux."],
    },
    "bread baking": {
        "domain": "cooking",
        "queries": ["why is my bread dense", "how long to proof bread dough",
                    "best flour for homemade bread"],
        "answer": ["Dense bread usually means the dough did not rise long enough.",
                   "Most bread dough needs one to two hours to double in size at room temperature.",
                   "Bread flour has more protein than plain flour and gives a better rise."],
        "general": ["Bread is made from flour, water, salt and yeast.",
                    "People have baked bread for thousands of years.",
                    "Fresh bread smells wonderful when it comes out of the oven.",
                    "Many bakeries start work long before sunrise."],
    },
    "pasta cooking": {
        "domain": "cooking",
        "queries": ["how much salt in pasta water", "how to keep pasta from sticking",
                    "how long to boil spaghetti"],
        "answer": ["Add about ten grams of salt for every litre of pasta water.",
                   "Stir the pasta in the first minute and use plenty of boiling water.",
                   "Spaghetti usually needs nine to eleven minutes in boiling water."],
        "general": ["Pasta comes in hundreds of shapes and sizes.",
                    "Dried pasta is made from durum wheat and water.",
                    "Italy is famous for its many regional pasta dishes.",
                    "A simple tomato sauce goes well with most kinds of pasta."],
    },
    "train travel": {
        "domain": "travel",
        "queries": ["cheapest way to travel by train in europe", "do i need to book trains in advance",
                    "rail pass worth it"],
        "answer": ["Tickets booked a few weeks in advance are usually much cheaper.",
                   "High speed trains often require a reservation, regional trains do not.",
                   "A rail pass pays off when you take several long trips in a short time."],
        "general": ["Trains connect most large cities in Europe.",
                    "Many travellers enjoy the views from the train window.",
                    "Night trains have become popular again in recent years.",
                    "Railway stations are often close to the city centre."],
    },
    "jet lag": {
        "domain": "travel",
        "queries": ["how to avoid jet lag", "jet lag recovery tips", "best time to sleep on a long flight"],
        "answer": ["Shift your sleep by an hour a day before you travel east or west.",
                   "Spend time in daylight after you arrive to reset your body clock.",
                   "Sleep on the plane when it is night at your destination."],
        "general": ["Long flights can be tiring for many passengers.",
                    "Airlines serve meals at fixed times during the flight.",
                    "Crossing many time zones is common on international trips.",
                    "Some airports have quiet rooms where travellers can rest."],
    },
    "running": {
        "domain": "health",
        "queries": ["how to start running as a beginner", "how often should beginners run",
                    "running shoes for beginners"],
        "answer": ["Start with short intervals of running and walking three times a week.",
                   "Beginners should rest a day between runs to let the body recover.",
                   "Choose running shoes that fit well and feel comfortable in the shop."],
        "general": ["Running is one of the simplest forms of exercise.",
                    "Many cities hold running events every weekend.",
                    "Some people prefer to run early in the morning.",
                    "The marathon distance is a little over forty two kilometres."],
    },
    "sleep": {
        "domain": "health",
        "queries": ["how to fall asleep faster", "how many hours of sleep do adults need",
                    "does caffeine affect sleep"],
        "answer": ["A fixed bedtime and a dark, cool room help you fall asleep faster.",
                   "Most adults need between seven and nine hours of sleep a night.",
                   "Caffeine can affect sleep for six hours or more after a cup of coffee."],
        "general": ["Sleep is important for memory and mood.",
                    "Cats sleep for a large part of the day.",
                    "Dreams happen mostly during a phase called REM sleep.",
                    "Many people read a book before they go to bed."],
    },
}
