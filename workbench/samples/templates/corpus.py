"""Raw text corpus: English templates per source, foreign-language banks, spam, kind shares
(``make_corpus``)."""

from __future__ import annotations

__all__ = ["FOREIGN", "FORUM", "KIND_SHARES", "NEWS", "SOURCES", "SPAM", "SPAM_VOCAB", "VOCAB", "WEB"]

VOCAB: dict[str, list[str]] = {
    "city": ["Springfield", "Riverton", "Maple Grove", "Lakeside", "Oakford", "Bridgeport",
             "Fairview", "Greenville", "Kingston", "Westbrook", "Ashford", "Milton"],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "facility": ["library", "swimming pool", "health centre", "community garden", "bus station",
                 "primary school", "sports hall", "public park", "bike path", "concert hall"],
    "timeframe": ["next spring", "later this year", "within two years", "by the end of the summer",
                  "early next month", "in the autumn"],
    "org": ["statistics office", "chamber of commerce", "regional health authority",
            "national weather service", "city council", "transport agency", "central bank"],
    "metric": ["the number of new businesses", "average rent", "public transport use",
               "the unemployment rate", "tourist visits", "house prices", "energy use"],
    "pct": ["two", "three", "four", "five", "seven", "ten", "twelve"],
    "month": ["January", "March", "April", "June", "September", "October", "November"],
    "money": ["four million dollars", "twelve million euros", "two hundred thousand pounds",
              "half a billion dollars", "eighty million euros"],
    "num": ["fifty", "two hundred", "three hundred", "a thousand", "several hundred"],
    "concern": ["traffic on the main road", "the cost of the project", "noise at night",
                "the loss of green space", "parking near the school", "rising prices"],
    "person": ["Maria Lopez", "John Carter", "Aisha Khan", "Peter Novak", "Emma Schmidt",
               "David Chen", "Sarah Okafor", "Tom Williams"],
    "job": ["a local teacher", "a shop owner", "a retired nurse", "a city planner",
            "a university researcher", "a bus driver", "a farmer"],
    "opinion": ["long overdue", "a step in the right direction", "too expensive",
                "good news for families", "a surprise to many", "hard to understand"],
    "claim": ["the trend is likely to continue for several years",
              "more investment will be needed to meet the targets",
              "the new rules could help small businesses",
              "demand has grown faster than expected",
              "the weather played an important role this season",
              "the results should be treated with caution"],
    "study_topic": ["road safety", "school meals", "the local water supply", "air quality",
                    "housing costs", "the city budget", "public health services"],
    "activity": ["baking bread", "cycling to work", "learning the guitar", "growing vegetables",
                 "running", "repairing old bikes", "learning Spanish", "photographing birds",
                 "building furniture", "brewing coffee at home"],
    "years": ["two", "three", "five", "ten", "fifteen", "twenty"],
    "thing": ["my new laptop", "the latest update", "my garden soil", "the water heater",
              "my old car", "the washing machine", "my home network", "the kitchen tap"],
    "problem": ["keeps making a strange noise", "stopped working last week",
                "is much slower than before", "leaks a little every morning",
                "will not start in cold weather", "loses its connection every hour"],
    "fix": ["restarting it", "cleaning the filter", "replacing the cable",
            "reading the manual again", "calling the support line", "changing the settings"],
    "outcome": ["nothing changed", "it only helped for a day", "the problem came back",
                "it only helped a little", "I am still not sure what is wrong"],
    "advice": ["start slowly and be patient", "ask someone with more experience",
               "keep notes of what you try", "buy good tools once instead of cheap ones twice",
               "take a short break when you feel stuck", "read the instructions twice"],
    "topic": ["saving energy at home", "planning a family holiday", "choosing a good laptop",
              "cooking healthy meals on a budget", "starting a small garden",
              "working from home", "learning a new language", "keeping a house plant alive"],
    "tip": ["a simple plan is easier to follow than a complicated one",
            "small changes add up over time",
            "it is worth comparing prices before you buy",
            "regular maintenance saves money in the long run",
            "most problems have a simple cause",
            "good habits matter more than expensive equipment",
            "a short daily routine works better than a long weekly one"],
    "noun": ["the kitchen", "the garden", "the living room", "the office", "the car",
             "the balcony", "the garage", "the café"],
    "adj": ["useful", "simple", "practical", "popular", "reliable", "affordable", "important"],
    "season": ["spring", "summer", "autumn", "winter"],
}

NEWS = [
    "{city} officials said on {weekday} that the new {facility} would open {timeframe}.",
    "The {org} reported that {metric} rose by {pct} percent in {month}.",
    "The {org} said that {metric} fell by {pct} percent compared with last year.",
    "According to a spokesperson, the project will cost about {money} and create {num} jobs.",
    "Residents have raised concerns about {concern}.",
    "The council is expected to vote on the plan {timeframe}.",
    "{person}, {job}, said the change was {opinion}.",
    "Experts say that {claim}.",
    "The decision follows a long review of {study_topic}.",
    "A report published in {month} found that {claim}.",
    "Local groups welcomed the news but warned about {concern}.",
    "The mayor of {city} said the town had waited many years for a new {facility}.",
    "Work on the {facility} is due to begin {timeframe}.",
    "Critics argue that {claim}, while supporters point to the benefits for families.",
    "The figures were published by the {org} on {weekday}.",
]

FORUM = [
    "I have been {activity} for about {years} years and I still learn something new every week.",
    "Has anyone else had problems with {thing}?",
    "It {problem} and I do not know what to do.",
    "I tried {fix}, but {outcome}.",
    "My advice would be to {advice}.",
    "Thanks in advance for any help.",
    "In my experience, {tip}.",
    "I had the same issue with {thing} last {season}.",
    "Does anyone know a good place to learn more about {activity}?",
    "Honestly, I think you should {advice}.",
    "Update: I tried {fix} and {outcome}.",
    "This forum has been really {adj} for me over the years.",
    "When I started {activity}, nobody told me that {tip}.",
    "Not sure if this is the right place to ask, but {thing} {problem}.",
]

WEB = [
    "In this article, we look at {topic} and share a few {adj} ideas.",
    "Many readers have asked us about {topic}.",
    "The good news is that {tip}.",
    "Here are a few things to keep in mind before you begin.",
    "First, remember that {tip}.",
    "Second, it helps to {advice}.",
    "One {adj} first step is to tidy {noun} and make a short list.",
    "If you only have a little time, focus on one thing at a time.",
    "Our team tested several approaches over the {season} months.",
    "The results were clear: {tip}.",
    "We hope this short guide to {topic} has been {adj}.",
    "You can find more ideas in our other articles about {topic}.",
    "Many people also find that {tip}.",
    "Finally, do not forget to {advice}.",
]

SOURCES = {"news": NEWS, "forum": FORUM, "web": WEB}

FOREIGN: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "de": ([
        "Die Stadt {stadt} plant einen neuen {ort} für die Bürger.",
        "Am {tag} hat der Gemeinderat über das Projekt gesprochen.",
        "Viele Menschen freuen sich über die Nachricht, aber einige sind skeptisch.",
        "Nach Angaben der Verwaltung soll der Bau im {jahreszeit} beginnen.",
        "Die Kosten werden auf etwa {zahl} Millionen Euro geschätzt.",
        "Ich habe letzte Woche ein neues Rezept für Brot ausprobiert.",
        "Das Wetter war am Wochenende leider sehr schlecht.",
        "Wir sind mit dem Zug nach {stadt} gefahren und haben die Altstadt besucht.",
        "Meiner Meinung nach ist das eine gute Entscheidung für die Familien.",
        "Die Schule bleibt während der Bauarbeiten geöffnet.",
        "Es gibt noch viele offene Fragen zum Verkehr und zu den Parkplätzen.",
        "Die Ergebnisse der Studie werden im {jahreszeit} veröffentlicht.",
    ], {"stadt": ["Freiburg", "Münster", "Leipzig", "Bremen", "Heidelberg", "Kassel"],
        "ort": ["Spielplatz", "Bahnhof", "Sportplatz", "Marktplatz", "Radweg"],
        "tag": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
        "jahreszeit": ["Frühling", "Sommer", "Herbst", "Winter"],
        "zahl": ["zwei", "drei", "fünf", "zehn", "zwölf"]}),
    "fr": ([
        "La ville de {ville} va construire une nouvelle {lieu} pour les habitants.",
        "Le conseil municipal a discuté du projet {jour} soir.",
        "Selon la mairie, les travaux devraient commencer au {saison}.",
        "Le coût total est estimé à environ {nombre} millions d'euros.",
        "Beaucoup d'habitants sont contents, mais certains restent prudents.",
        "J'ai essayé une nouvelle recette de gâteau au chocolat ce week-end.",
        "Nous avons pris le train pour {ville} et visité le vieux quartier.",
        "À mon avis, c'est une bonne nouvelle pour les familles du quartier.",
        "Il reste encore beaucoup de questions sur la circulation et le stationnement.",
        "Les résultats de l'étude seront publiés au {saison}.",
        "Le temps était très agréable pendant toute la semaine.",
        "L'école restera ouverte pendant toute la durée des travaux.",
    ], {"ville": ["Lyon", "Nantes", "Bordeaux", "Lille", "Toulouse", "Grenoble"],
        "lieu": ["bibliothèque", "piscine", "gare", "école", "salle de sport"],
        "jour": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
        "saison": ["printemps", "début de l'été", "mois de septembre", "début de l'hiver"],
        "nombre": ["deux", "trois", "cinq", "dix", "douze"]}),
    "es": ([
        "El ayuntamiento de {ciudad} construirá una nueva {lugar} para los vecinos.",
        "El consejo municipal habló del proyecto el {dia} por la tarde.",
        "Según el alcalde, las obras empezarán en {estacion}.",
        "El coste total será de unos {numero} millones de euros.",
        "Muchos vecinos están contentos, pero algunos tienen dudas.",
        "El fin de semana probé una receta nueva de tortilla de patatas.",
        "Fuimos en tren a {ciudad} y visitamos el centro histórico.",
        "En mi opinión, es una buena noticia para las familias del barrio.",
        "Todavía hay muchas preguntas sobre el tráfico y el aparcamiento.",
        "Los resultados del estudio se publicarán en {estacion}.",
        "El tiempo fue muy agradable durante toda la semana.",
        "La escuela seguirá abierta durante las obras.",
    ], {"ciudad": ["Sevilla", "Valencia", "Bilbao", "Granada", "Zaragoza", "Málaga"],
        "lugar": ["biblioteca", "piscina", "estación", "escuela", "plaza"],
        "dia": ["lunes", "martes", "miércoles", "jueves", "viernes"],
        "estacion": ["primavera", "verano", "otoño", "invierno"],
        "numero": ["dos", "tres", "cinco", "diez", "doce"]}),
}

SPAM = [
    "BUY NOW!!! {product} at the LOWEST PRICE EVER, only {price} dollars. Limited time offer, "
    "click here: http://{domain}/deal/{n} FREE SHIPPING on all orders. BUY NOW BUY NOW BUY NOW. "
    "Best price guaranteed!!! Order today and save {pct}%. Click here: http://{domain}/buy?id={n}",
    "We use cookies to improve your experience on our website. By continuing to browse, you "
    "agree to our use of cookies. Accept all | Reject all | Manage preferences | Privacy policy "
    "| Cookie policy | Terms of use. © 2025 {site}. All rights reserved. Session {n}.",
    "Home | About us | Contact | Privacy | Terms | Sitemap\nRelated links: http://{domain}/{n} "
    "http://{domain}/{n} http://{domain}/{n} http://{domain}/{n}\nPopular: "
    "{product} | {product} | {product} | more >> page {n}",
    "CONGRATULATIONS!!! You have been selected to win a FREE {product} worth {price} dollars. "
    "Click here to claim your prize now: http://{domain}/win/{n} Offer expires in 24 hours. "
    "Act now!!! Unsubscribe | Contact | http://{domain}/optout/{n}",
    "Subscribe to our newsletter | Follow us | Share this page | Print | Email\n"
    "Sign in | Register | Forgot password? | Help\nCopyright 2025 {site}. All rights reserved. "
    "Powered by {site}. Page id {n}.",
]
SPAM_VOCAB = {
    "product": ["cheap watches", "designer bags", "weight loss pills", "smartphones",
                "casino bonus", "luxury sunglasses", "crypto coins"],
    "domain": ["best-deals.example", "cheap-offers.example", "win-big.example",
               "shop-now.example", "promo-zone.example"],
    "site": ["ShopWorld", "DealHub", "NewsPortal", "MegaStore", "InfoSite"],
    "n": [str(x) for x in range(10000, 100000, 7)],
    "price": ["9.99", "19.99", "29", "49", "99", "199"],
    "pct": ["50", "70", "80", "90"],
}

KIND_SHARES = {"clean": 0.70, "exact_duplicate": 0.05, "near_duplicate": 0.07,
               "word_salad": 0.05, "non_english": 0.05, "spam": 0.05, "repetitive": 0.03}
