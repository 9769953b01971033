"""Shared pieces of the corpus generator: fictitious parties, locales, value formats, the Doc record.

Every company, person, address, VAT id and IBAN here is invented. IBANs are built from random account
numbers with "EXMP"/"0000" style bank codes where the format allows letters, and they carry correct
ISO 13616 mod-97 check digits so validators accept them; VAT ids follow the national shape only.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import re
from dataclasses import dataclass, field
from typing import Any

FIELDS = (
    "document_number",
    "document_date",
    "due_date",
    "effective_date",
    "party_issuer",
    "party_recipient",
    "issuer_vat_id",
    "purchase_order_number",
    "currency",
    "subtotal",
    "tax_amount",
    "total_amount",
    "payment_terms_days",
    "iban",
    "governing_law",
)
CLAUSES = (
    "termination",
    "limitation_of_liability",
    "confidentiality",
    "data_protection",
    "governing_law",
    "indemnification",
    "force_majeure",
    "auto_renewal",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NUMBER_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    10: "ten",
    12: "twelve",
    14: "fourteen",
    15: "fifteen",
    21: "twenty-one",
    24: "twenty-four",
    28: "twenty-eight",
    30: "thirty",
    45: "forty-five",
    48: "forty-eight",
    60: "sixty",
    72: "seventy-two",
    90: "ninety",
}


@dataclass(frozen=True)
class Locale:
    """How a party's country writes things: currency, VAT rate, date and number style, governing law."""

    country: str
    currency: str
    symbol: str
    vat_rate: int
    date_style: str  # "uk", "us", "de", "iso"
    number_style: str  # "en", "de", "fr"
    law: str
    vat_prefix: str
    iban_country: str


LOCALES = {
    "GB": Locale("United Kingdom", "GBP", "£", 20, "uk", "en", "England and Wales", "GB", "GB"),
    "DE": Locale("Germany", "EUR", "€", 19, "de", "de", "Federal Republic of Germany", "DE", "DE"),
    "NL": Locale("Netherlands", "EUR", "€", 21, "uk", "de", "Netherlands", "NL", "NL"),
    "FR": Locale("France", "EUR", "€", 20, "uk", "fr", "France", "FR", "FR"),
    "IE": Locale("Ireland", "EUR", "€", 23, "uk", "en", "Ireland", "IE", "IE"),
    "US": Locale("United States", "USD", "$", 0, "us", "en", "State of New York", "", ""),
}


@dataclass(frozen=True)
class Party:
    name: str
    short: str
    country: str
    street: str
    city: str
    postcode: str
    domain: str

    @property
    def locale(self) -> Locale:
        return LOCALES[self.country]

    def address_lines(self) -> list[str]:
        if self.country in ("US",):
            return [self.street, f"{self.city} {self.postcode}", "United States"]
        if self.country == "GB":
            return [self.street, self.city, self.postcode, "United Kingdom"]
        return [self.street, f"{self.postcode} {self.city}", self.locale.country]

    def address_inline(self) -> str:
        return ", ".join(self.address_lines())


COMPANIES = [
    Party(
        "Northwind Logistics Ltd",
        "Northwind",
        "GB",
        "14 Canal Wharf",
        "Leeds",
        "LS11 5QX",
        "northwind-logistics.example.com",
    ),
    Party(
        "Brightline Studio GmbH",
        "Brightline",
        "DE",
        "Hafenstraße 22",
        "Hamburg",
        "20457",
        "brightline-studio.example.com",
    ),
    Party(
        "Calderwood Analytics Ltd",
        "Calderwood",
        "GB",
        "3 Tanner Row",
        "York",
        "YO1 6JB",
        "calderwood.example.co.uk",
    ),
    Party(
        "Veldhuis Packaging B.V.",
        "Veldhuis",
        "NL",
        "Industrieweg 41",
        "Utrecht",
        "3542 AD",
        "veldhuis-packaging.example.nl",
    ),
    Party(
        "Lumen Harbor Inc.",
        "Lumen Harbor",
        "US",
        "220 Mercer Street, Suite 4B",
        "New York, NY",
        "10012",
        "lumenharbor.example.com",
    ),
    Party(
        "Atelier Sorel SAS",
        "Atelier Sorel",
        "FR",
        "18 rue des Tanneurs",
        "Lyon",
        "69002",
        "atelier-sorel.example.fr",
    ),
    Party(
        "Quillfeather Publishing Ltd",
        "Quillfeather",
        "IE",
        "7 Merchant's Quay",
        "Dublin 8",
        "D08 K2X4",
        "quillfeather.example.ie",
    ),
    Party(
        "Kestrel Forge Engineering Ltd",
        "Kestrel Forge",
        "GB",
        "Unit 9, Riverside Trading Estate",
        "Sheffield",
        "S9 3LQ",
        "kestrelforge.example.co.uk",
    ),
    Party(
        "Oberland Mikrosysteme GmbH",
        "Oberland",
        "DE",
        "Lindenallee 5",
        "Freiburg im Breisgau",
        "79098",
        "oberland-mikro.example.de",
    ),
    Party(
        "Pinecrest Software LLC",
        "Pinecrest",
        "US",
        "1180 Alder Avenue",
        "Portland, OR",
        "97205",
        "pinecrest-software.example.com",
    ),
    Party(
        "Maresco Foods B.V.",
        "Maresco",
        "NL",
        "Havenkade 3",
        "Rotterdam",
        "3011 XH",
        "maresco-foods.example.nl",
    ),
    Party(
        "Halvorsen and Pike Consulting LLP",
        "Halvorsen and Pike",
        "GB",
        "40 Old Jewry Lane",
        "London",
        "EC2R 8DN",
        "halvorsen-pike.example.com",
    ),
    Party(
        "Tidewater Clinics Ltd",
        "Tidewater",
        "IE",
        "Block C, Eastpoint Park",
        "Cork",
        "T12 RX60",
        "tidewater-clinics.example.ie",
    ),
    Party(
        "Rivage Energie SARL",
        "Rivage",
        "FR",
        "5 quai de la Fosse",
        "Nantes",
        "44000",
        "rivage-energie.example.fr",
    ),
    Party(
        "Saltmarsh Retail Group plc",
        "Saltmarsh",
        "GB",
        "Saltmarsh House, 2 Quayside",
        "Bristol",
        "BS1 4RN",
        "saltmarsh-retail.example.co.uk",
    ),
    Party(
        "Greyfield Biotech Inc.",
        "Greyfield",
        "US",
        "75 Harbor Loop",
        "Boston, MA",
        "02210",
        "greyfield-bio.example.com",
    ),
    Party(
        "Wendelin Datenwerk AG",
        "Datenwerk",
        "DE",
        "Karlsplatz 11",
        "München",
        "80335",
        "datenwerk.example.de",
    ),
    Party(
        "Copperleaf Interiors Ltd",
        "Copperleaf",
        "GB",
        "88 Bold Street",
        "Liverpool",
        "L1 4HY",
        "copperleaf.example.co.uk",
    ),
    Party(
        "Nordvik Marine Services B.V.",
        "Nordvik",
        "NL",
        "Werfstraat 17",
        "Amsterdam",
        "1013 BX",
        "nordvik-marine.example.nl",
    ),
    Party(
        "Amberlight Events Ltd",
        "Amberlight",
        "IE",
        "22 Patrick Street",
        "Galway",
        "H91 TK2F",
        "amberlight-events.example.ie",
    ),
    Party(
        "Stonebridge Property Holdings Ltd",
        "Stonebridge",
        "GB",
        "6 Albion Place",
        "Manchester",
        "M2 5DB",
        "stonebridge-property.example.co.uk",
    ),
    Party(
        "Meridian Cloud Services Inc.",
        "Meridian Cloud",
        "US",
        "400 Congress Avenue, Floor 12",
        "Austin, TX",
        "78701",
        "meridian-cloud.example.com",
    ),
    Party(
        "Fennimore Print Works Ltd",
        "Fennimore",
        "GB",
        "12 Printers Yard",
        "Norwich",
        "NR3 1BQ",
        "fennimore-print.example.co.uk",
    ),
    Party(
        "Lindqvist Facility GmbH",
        "Lindqvist",
        "DE",
        "Gutenbergring 30",
        "Köln",
        "50667",
        "lindqvist-facility.example.de",
    ),
]

#: Each company's line of business: what it sells, invoices and hires for.
TRADE = {
    "Northwind": "logistics",
    "Nordvik": "marine",
    "Brightline": "design",
    "Atelier Sorel": "design",
    "Copperleaf": "interiors",
    "Calderwood": "software",
    "Pinecrest": "software",
    "Meridian Cloud": "software",
    "Datenwerk": "software",
    "Lumen Harbor": "software",
    "Veldhuis": "packaging",
    "Kestrel Forge": "engineering",
    "Oberland": "engineering",
    "Maresco": "food",
    "Quillfeather": "publishing",
    "Fennimore": "publishing",
    "Halvorsen and Pike": "consulting",
    "Tidewater": "health",
    "Rivage": "energy",
    "Amberlight": "events",
    "Lindqvist": "facility",
    "Stonebridge": "property",
    "Greyfield": "biotech",
    "Saltmarsh": "retail",
}


PEOPLE = [
    "Amara Okafor",
    "Jonas Weber",
    "Priya Raman",
    "Liam Gallagher-Cole",
    "Sofia Marchetti",
    "Daniel Novak",
    "Hannah Brandt",
    "Oluwaseun Adeyemi",
    "Claire Dubois",
    "Marek Kowalczyk",
    "Ines Duarte",
    "Tom Ashcroft",
    "Mei-Lin Zhou",
    "Ruairi Byrne",
    "Fatima El-Amin",
    "Greta Lindholm",
    "Samuel Osei",
    "Elena Petrova",
    "Kenji Watanabe",
    "Rosalind Fairweather",
    "Pieter van Dijk",
    "Aoife Brennan",
    "Lucas Moreau",
    "Nadia Haddad",
]
TITLES = (
    "Finance Director",
    "Managing Director",
    "Head of Procurement",
    "Chief Operating Officer",
    "General Counsel",
    "Accounts Payable Lead",
    "Operations Manager",
    "Director",
)


@dataclass
class Doc:
    """One generated document with its ground truth."""

    path: str
    category: str
    layout: str
    text: str
    fields: dict[str, Any]
    clauses: dict[str, bool] | None
    summary: str
    qa: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """HTML-escape text; apostrophes and quotes stay as typed (they need no escaping in element text)."""
    return html.escape(text, quote=False)


def tidy(text: str) -> str:
    """Final touches on a rendered document: one full stop after "Inc." / "B.V." ending a sentence."""
    return re.sub(r"(?<=[A-Za-z])\.\.(?=\s|$|\))", ".", text.rstrip()) + "\n"


def empty_fields() -> dict[str, Any]:
    return {name: None for name in FIELDS}


# --- values ---------------------------------------------------------------------------------------


def pick_parties(rng: random.Random, count: int = 2) -> list[Party]:
    return rng.sample(COMPANIES, count)


def pick_person(rng: random.Random, taken: tuple[str, ...] = ()) -> str:
    return rng.choice([name for name in PEOPLE if name not in taken])


def rand_date(rng: random.Random, start: dt.date = dt.date(2023, 9, 1), days: int = 540) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


def fmt_date(day: dt.date, style: str) -> str:
    if style == "uk":
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    if style == "us":
        return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    if style == "de":
        return f"{day.day:02d}.{day.month:02d}.{day.year}"
    if style == "slash":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    if style == "short":
        return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"
    return day.isoformat()


def fmt_amount(value: float, style: str) -> str:
    whole, cents = divmod(round(value * 100), 100)
    grouped = f"{whole:,}"
    if style == "de":
        return grouped.replace(",", ".") + f",{cents:02d}"
    if style == "fr":
        return grouped.replace(",", " ") + f",{cents:02d}"
    if style == "plain":
        return f"{whole}.{cents:02d}"
    return grouped + f".{cents:02d}"


def money(value: float, locale: Locale, style: str | None = None) -> str:
    """A currency amount the way the locale prints it: £1,234.50, 1.234,50 €, $1,234.50."""
    number_style = style or locale.number_style
    text = fmt_amount(value, number_style)
    if locale.currency == "GBP":
        return f"£{text}"
    if locale.currency == "USD":
        return f"${text}"
    return f"{text} €" if number_style in ("de", "fr") else f"€{text}"


def law_phrase(law: str) -> str:
    """'the laws of <law_phrase>': 'the Netherlands', 'England and Wales'."""
    return f"the {law}" if law.split()[0] in ("Netherlands", "Federal", "State") else law


def words_number(value: int) -> str:
    return f"{NUMBER_WORDS[value]} ({value})" if value in NUMBER_WORDS else str(value)


def _mod97_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return f"{98 - int(digits) % 97:02d}"


def make_iban(rng: random.Random, country: str) -> str:
    """A fictitious IBAN with valid check digits (bank codes chosen to look like examples)."""
    if country == "GB":
        bban = "EXMP" + "".join(rng.choice("0123456789") for _ in range(14))
    elif country == "IE":
        bban = "XMPL" + "".join(rng.choice("0123456789") for _ in range(14))
    elif country == "NL":
        bban = "TEST" + "".join(rng.choice("0123456789") for _ in range(10))
    elif country == "FR":
        bban = "".join(rng.choice("0123456789") for _ in range(23))
    else:
        bban = "0000" + "".join(rng.choice("0123456789") for _ in range(14))
    return country + _mod97_check(country, bban) + bban


def group_iban(iban: str) -> str:
    return " ".join(iban[index : index + 4] for index in range(0, len(iban), 4))


def make_vat(rng: random.Random, party: Party) -> str | None:
    digits = "".join(rng.choice("0123456789") for _ in range(9))
    prefix = party.locale.vat_prefix
    if not prefix:
        return None
    if prefix == "NL":
        return f"NL{digits}B01"
    if prefix == "FR":
        return f"FR{rng.randrange(10, 99)}{digits}"
    if prefix == "IE":
        return f"IE{digits[:7]}{rng.choice('ABCDEFGHW')}"
    return prefix + digits


def email(person: str, party: Party) -> str:
    first, *rest = person.lower().replace("-", " ").split()
    return f"{first}.{rest[-1] if rest else 'office'}@{party.domain}"


def slug(text: str) -> str:
    keep = "".join(char.lower() if char.isalnum() else "-" for char in text)
    return "-".join(part for part in keep.split("-") if part)


def short_slug(text: str, limit: int = 28) -> str:
    """A slug cut at a word boundary, for file names."""
    words, out = slug(text).split("-"), ""
    for word in words:
        if out and len(out) + len(word) + 1 > limit:
            break
        out = f"{out}-{word}" if out else word
    return out


def folder_for(day: dt.date) -> str:
    """Sub-folders by period, the way a shared drive is often organised (never by category)."""
    return f"{day.year}-h{1 if day.month <= 6 else 2}"


def round2(value: float) -> float:
    return round(value + 1e-9, 2)
