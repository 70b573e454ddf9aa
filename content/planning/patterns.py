"""The sentence patterns planned copy is made of: data, reviewed like templates.

Each pattern is a Python format string. The planner fills it with the product's facts,
copied verbatim, and never with anything else:

    {name}      the product name as in the facts (the title, cleaned of a cut-off bracket)
    {brand}     the brand as in the facts
    {category}  the last part of the category path ("Longboards")
    {department} the first part of the category path ("Sports & Outdoors"), when it has several
    {price}     the price and currency as in the facts ("24.90 EUR")
    {value}     the value of one attribute ("100% organic cotton", "10.3 x 3.4 x 0.8 inches")
    {label}     the attribute's name, lower case ("waterproof rating")

A pattern whose placeholders a product cannot fill (no brand, say) is skipped. For every
fact the planner fills ALL the patterns of the fact's type, asks the model which reads
most fluently (``score``: overgenerate and rank), and keeps the best.

How an editor adds a pattern: add a string to the list of the attribute type (or a new
type: also add its key words to ``content.planning.facts.FACT_TYPES``), run
``pytest tests/content/test_planning.py`` (it fills every pattern with sample facts and
fails on a pattern that leaves a placeholder, does not end with a full stop, or states
anything but the placeholders), and measure with ``manage.py evaluate_copy --strategy
planned``. A pattern must not add claims of its own: no numbers, materials, colours,
"premium", "best" ... only the frame around the facts.
"""

from __future__ import annotations

# --- descriptions ------------------------------------------------------------------------------

DESCRIPTION_OPENING = [
    "Meet the {name} from {brand}.",
    "The {name} comes from {brand}.",
    "This is the {name} by {brand}.",
    "{brand} presents the {name}.",
    "Meet the {name}.",
    "This is the {name}.",
    "Here is the {name}.",
]
# Said after the opening when the product has a category ({department}: the first part of a
# category path such as "Toys & Games | Arts & Crafts | Crayons", when there is one).
DESCRIPTION_CATEGORY = [
    "You will find it in {department}, under {category}.",
    "It is listed in {department}, under {category}.",
    "It belongs to our {category} range.",
    "You will find it under {category}.",
    "It is part of the {category} collection.",
]
# Said only when the text would otherwise be shorter than a description should be.
DESCRIPTION_CLOSING = [
    "Look for the {name} under {category}.",
    "The {name} is one of our {category}.",
]
# The price exactly as the facts give it ("24.90 EUR"); said last.
DESCRIPTION_PRICE = [
    "It sells for {price}.",
    "The price is {price}.",
    "It costs {price}.",
]

# Attribute type -> patterns. "It" is the product; the opening has named it.
DESCRIPTION_FACTS = {
    "material": [
        "It is made of {value}.",
        "It is made from {value}.",
    ],
    # The material of a part ("upper: mesh", "sole: rubber"): never "it is made of rubber".
    "part": [
        "The {label} is {value}.",
        "Its {label} is made of {value}.",
        "The {label} is made of {value}.",
    ],
    # A yes/no attribute that says yes ("dishwasher safe: yes"); a "no" is not stated.
    "yes": [
        "It is {label}.",
        "{label_cap}: yes.",
    ],
    "colour": [
        "It comes in {value}.",
        "The colour is {value}.",
        "It is available in {value}.",
    ],
    "dimensions": [
        "It measures {value}.",
        "Its dimensions are {value}.",
        "The product measures {value}.",
    ],
    "weight": [
        "It weighs {value}.",
        "Its weight is {value}.",
        "The weight is {value}.",
    ],
    "age": [
        "It is recommended for ages {value}.",
        "The manufacturer recommends it for ages {value}.",
        "Recommended age: {value}.",
    ],
    "size": [
        "The size is {value}.",
        "It comes in size {value}.",
        "Size: {value}.",
    ],
    "fit": [
        "It has a {value} fit.",
        "The fit is {value}.",
    ],
    "care": [
        "Care: {value}.",
        "To care for it: {value}.",
        "Care instructions: {value}.",
    ],
    "batteries": [
        "Its {label} is {value}.",
        "{label_cap}: {value}.",
        "The {label} is {value}.",
    ],
    "capacity": [
        "It holds {value}.",
        "Its capacity is {value}.",
    ],
    "power": [
        "Its power is {value}.",
        "It is rated at {value}.",
    ],
    "quantity": [
        "It comes as {value}.",
        "The package holds {value}.",
    ],
    "style": [
        "The style is {value}.",
        "It comes in the {value} style.",
    ],
    "other": [
        "Its {label} is {value}.",
        "The {label} is {value}.",
        "It has {value} {label}.",
        "It has a {value} {label}.",
        "It has an {value} {label}.",
        "{label_cap}: {value}.",
    ],
}

# Which attribute types a description states, in this order (prose, the seller's own
# sentences from the facts, comes right after the opening).
DESCRIPTION_ORDER = ["material", "colour", "fit", "size", "style", "quantity", "capacity", "power", "batteries",
                     "dimensions", "weight", "age", "care", "other"]

# --- headlines and titles ----------------------------------------------------------------------
# Filled with the product name shortened at a word boundary to fit ({short}); {benefit} is
# one attribute value (a material, a colour, a fit ...). Tried longest first.

# {colour} is a colour value, {benefit} any other; a form with either keeps the whole name.
HEADLINE_FORMS = [
    "{brand} {short}",
    "{short} in {colour}",
    "{short}, {benefit}",
    "{short}",
    "{short} - {category}",
]
SEO_TITLE_FORMS = [
    "{short} | {brand}",
    "{short} in {colour} | {brand}",
    "{short}, {benefit} | {brand}",
    "{short} in {colour}",
    "{short}, {benefit}",
    "{short} | {category}",
    "{short}",
]
# Attribute types that give a headline its one benefit, in order of preference.
BENEFIT_TYPES = ["material", "colour", "fit", "style", "capacity"]
