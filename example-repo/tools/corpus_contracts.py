"""Contracts: MSAs, statements of work, NDAs, employment contracts, leases and DPAs, several layouts each.

Each contract draws a set of compliance clauses (``CLAUSES``) with per-category odds; each clause has a
formal wording (numbered, headed) and a plain-English wording, and some wordings avoid the clause's
usual keyword, so clause detection cannot be a keyword search. A contract that lacks a clause sometimes
says so ("does not renew automatically"), which is the near miss a detector must not flag.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus_common import (
    CLAUSES,
    COMPANIES,
    PEOPLE,
    TRADE,
    Doc,
    Party,
    empty_fields,
    escape,
    fmt_amount,
    fmt_date,
    folder_for,
    law_phrase,
    money,
    pick_parties,
    pick_person,
    rand_date,
    short_slug,
    slug,
    tidy,
    words_number,
)


@dataclass
class Deal:
    """The facts behind one contract."""

    first: Party
    second: Party
    first_role: str
    second_role: str
    signed: dt.date
    effective: dt.date
    reference: str | None
    clauses: dict[str, bool]
    notice_days: int
    cap_multiple: int
    conf_years: int
    renew_months: int
    breach_hours: int
    signatories: tuple[str, str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def law(self) -> str:
        return self.first.locale.law

    def day(self, value: dt.date) -> str:
        return fmt_date(value, self.first.locale.date_style if self.first.country == "US" else "uk")


ODDS = {
    # clause -> probability per category
    "master_services_agreement": dict(
        termination=0.9,
        limitation_of_liability=0.85,
        confidentiality=0.75,
        data_protection=0.5,
        governing_law=0.9,
        indemnification=0.6,
        force_majeure=0.6,
        auto_renewal=0.5,
    ),
    "statement_of_work": dict(
        termination=0.5,
        limitation_of_liability=0.2,
        confidentiality=0.3,
        data_protection=0.2,
        governing_law=0.4,
        indemnification=0.15,
        force_majeure=0.2,
        auto_renewal=0.1,
    ),
    "non_disclosure_agreement": dict(
        termination=0.5,
        limitation_of_liability=0.2,
        confidentiality=1.0,
        data_protection=0.35,
        governing_law=0.85,
        indemnification=0.25,
        force_majeure=0.1,
        auto_renewal=0.15,
    ),
    "employment_contract": dict(
        termination=0.95,
        limitation_of_liability=0.0,
        confidentiality=0.8,
        data_protection=0.6,
        governing_law=0.6,
        indemnification=0.0,
        force_majeure=0.0,
        auto_renewal=0.0,
    ),
    "lease_agreement": dict(
        termination=0.85,
        limitation_of_liability=0.3,
        confidentiality=0.15,
        data_protection=0.25,
        governing_law=0.75,
        indemnification=0.5,
        force_majeure=0.35,
        auto_renewal=0.45,
    ),
    "data_processing_agreement": dict(
        termination=0.7,
        limitation_of_liability=0.5,
        confidentiality=0.8,
        data_protection=1.0,
        governing_law=0.8,
        indemnification=0.45,
        force_majeure=0.2,
        auto_renewal=0.1,
    ),
}


def make_deal(rng: random.Random, category: str, roles: tuple[str, str], people: bool = False) -> Deal:
    first, second = pick_parties(rng)
    signed = rand_date(rng)
    effective = signed + dt.timedelta(days=rng.choice((0, 0, 1, 7, 14, 30)))
    clauses = {name: rng.random() < ODDS[category][name] for name in CLAUSES}
    prefix = {
        "master_services_agreement": "MSA",
        "statement_of_work": "SOW",
        "non_disclosure_agreement": "NDA",
        "employment_contract": "EMP",
        "lease_agreement": "LSE",
        "data_processing_agreement": "DPA",
    }
    reference = (
        rng.choice(
            [
                f"{prefix[category]}-{signed.year}-{rng.randrange(1, 200):03d}",
                f"{first.short[:3].upper()}/{prefix[category]}/{rng.randrange(1000, 9999)}",
            ]
        )
        if rng.random() < 0.6
        else None
    )
    one = pick_person(rng)
    return Deal(
        first=first,
        second=second,
        first_role=roles[0],
        second_role=roles[1],
        signed=signed,
        effective=effective,
        reference=reference,
        clauses=clauses,
        notice_days=rng.choice((14, 30, 60, 90)),
        cap_multiple=rng.choice((1, 2, 12)),
        conf_years=rng.choice((2, 3, 5)),
        renew_months=rng.choice((12, 12, 24)),
        breach_hours=rng.choice((24, 48, 72)),
        signatories=(one, pick_person(rng, (one,))),
        extra={"category": category},
    )


# --- clause wordings: (heading, formal text) and plain text ---------------------------------------


def _formal(deal: Deal, name: str, variant: int = 0) -> tuple[str, str]:
    if variant % 2 == 1 and name in ALT_FORMAL:
        return ALT_FORMAL[name](deal)
    a, b = deal.first_role, deal.second_role
    notice = words_number(deal.notice_days)
    texts = {
        "termination": (
            "Termination",
            f"Either party may terminate this Agreement for convenience by giving not less than {notice} "
            "days' written notice to the other. Either party may terminate with immediate effect if the "
            "other commits a material breach which is not remedied within fourteen (14) days of notice.",
        ),
        "limitation_of_liability": (
            "Limitation of Liability",
            "Neither party shall be liable for any indirect, special or consequential loss, or for loss of "
            f"profit or goodwill. Each party's total aggregate liability arising under or in connection "
            f"with this Agreement shall not exceed {_cap_words(deal)}.",
        ),
        "confidentiality": (
            "Confidentiality",
            "Each party shall keep confidential all information disclosed by the other that is marked "
            "confidential or would reasonably be regarded as such, and shall use it solely for the purposes "
            f"of this Agreement. These obligations survive for {words_number(deal.conf_years)} years after "
            "termination.",
        ),
        "data_protection": (
            "Data Protection",
            f"Where the {b} processes personal data on behalf of the {a}, it shall do so only on documented "
            "instructions and in accordance with the General Data Protection Regulation (EU) 2016/679 and "
            "applicable national data protection law, and shall notify the other party of any personal data "
            f"breach within {deal.breach_hours} hours of becoming aware of it.",
        ),
        "governing_law": (
            "Governing Law and Jurisdiction",
            f"This Agreement and any dispute arising from it shall be governed by the laws of "
            f"{law_phrase(deal.law)}, and the courts of {law_phrase(deal.law)} shall have exclusive "
            "jurisdiction.",
        ),
        "indemnification": (
            "Indemnity",
            f"The {b} shall indemnify and hold harmless the {a} against all claims, losses and reasonable "
            f"legal costs arising from any third-party claim that the deliverables infringe that third "
            "party's intellectual property rights.",
        ),
        "force_majeure": (
            "Force Majeure",
            "Neither party shall be in breach of this Agreement nor liable for delay in performing its "
            "obligations if such delay results from events, circumstances or causes beyond its reasonable "
            "control, including fire, flood, epidemic, war or failure of public utilities.",
        ),
        "auto_renewal": (
            "Term and Renewal",
            f"This Agreement shall continue for an initial term of {deal.renew_months} months and shall "
            f"automatically renew for successive periods of {deal.renew_months} months unless either party "
            f"gives written notice of non-renewal at least {notice} days before the end of the "
            "then-current term.",
        ),
    }
    return texts[name]


def _cap_words(deal: Deal) -> str:
    if deal.extra["category"] in ("non_disclosure_agreement", "lease_agreement"):
        return f"an aggregate amount of {money(100000, deal.first.locale)}"
    if deal.cap_multiple == 12:
        return (
            "the total fees paid or payable in the twelve (12) months preceding the event giving "
            "rise to the claim"
        )
    if deal.cap_multiple == 2:
        return "two hundred per cent (200%) of the fees paid under this Agreement"
    return "the fees paid under this Agreement"


def _plain(deal: Deal, name: str, variant: int = 0) -> str:
    if variant % 2 == 1 and name in ALT_PLAIN:
        return ALT_PLAIN[name](deal)
    notice = f"{deal.notice_days} days"
    texts = {
        "termination": f"Either of us can end this agreement at any time by telling the other in writing, "
        f"giving {notice}' notice. If one of us seriously breaks the agreement and doesn't put it "
        "right within "
        "two weeks, the other can end it straight away.",
        "limitation_of_liability": "Neither of us is responsible for indirect losses such as lost profits. "
        f"Apart from that, the most either of us can owe the other under this agreement is "
        f"{_cap_words(deal).replace('this Agreement', 'this agreement')}.",
        "confidentiality": "Anything one of us shares with the other that is clearly private (prices, plans, "
        "customer lists, source code) stays private and is used only for this work, for "
        f"{deal.conf_years} years "
        "after the agreement ends.",
        "data_protection": "If personal information about customers or staff is handled as part of this "
        "work, it will be handled lawfully under the GDPR, kept secure, used only as instructed, and any "
        f"data breach will be reported within {deal.breach_hours} hours.",
        "governing_law": f"The laws of {law_phrase(deal.law)} apply to this agreement, and any dispute will "
        "be heard by the courts there.",
        "indemnification": f"If someone claims that work delivered by {deal.second.short} infringes their "
        f"rights, {deal.second.short} will cover the costs of that claim, including reasonable legal fees.",
        "force_majeure": "Nobody is at fault for delays caused by things outside their reasonable control - "
        "for example storms, fires, pandemics, strikes at a third party or a national power cut.",
        "auto_renewal": f"This agreement runs for {deal.renew_months} months and then rolls over for another "
        f"{deal.renew_months} months each time, unless one of us says in writing, at least {notice} before "
        "the end, that we don't want it to continue.",
    }
    return texts[name]


ALT_FORMAL: dict[str, Callable[[Deal], tuple[str, str]]] = {
    "termination": lambda d: (
        "Duration and Ending",
        f"This Agreement may be ended by either party on {words_number(d.notice_days)} days' prior notice in "
        "writing, and forthwith by notice if the other party becomes insolvent or persistently fails to "
        "perform its obligations.",
    ),
    "limitation_of_liability": lambda d: (
        "Liability",
        f"Save for death or personal injury caused by negligence, or fraud, the {d.second_role}'s maximum "
        f"liability shall be limited to {_cap_words(d)}, and no party shall be liable for loss of data, "
        "revenue or anticipated savings.",
    ),
    "confidentiality": lambda d: (
        "Non-Disclosure",
        "Neither party shall disclose the business secrets, know-how, pricing or customer information of the "
        f"other to any third party, save to its professional advisers, for a period of "
        f"{words_number(d.conf_years)} years from the date of disclosure.",
    ),
    "data_protection": lambda d: (
        "Personal Data",
        "Each party shall comply with its obligations under the GDPR and the applicable data protection "
        "legislation. Personal data shall be processed only to the extent necessary for the performance of "
        f"this Agreement, and any breach affecting it shall be reported within {d.breach_hours} hours.",
    ),
    "governing_law": lambda d: (
        "Applicable Law",
        f"The construction, validity and performance of this Agreement are subject to the laws of "
        f"{law_phrase(d.law)}, without regard to its conflict-of-laws rules.",
    ),
    "indemnification": lambda d: (
        "Third-Party Claims",
        f"The {d.second_role} shall defend the {d.first_role} against any claim by a third party arising out "
        f"of the {d.second_role}'s negligence or breach of statutory duty and shall pay any damages "
        "and costs "
        "finally awarded.",
    ),
    "force_majeure": lambda d: (
        "Events Beyond Control",
        "A party prevented from performing by an act of God, governmental action, industrial dispute (other "
        "than of its own workforce) or interruption of transport shall be excused for the duration of that "
        "event, provided it notifies the other party promptly.",
    ),
    "auto_renewal": lambda d: (
        "Duration",
        f"The initial period is {d.renew_months} months. Thereafter this Agreement shall be extended tacitly "
        f"by further periods of {d.renew_months} months each, unless terminated by either party with "
        f"{words_number(d.notice_days)} days' notice before the expiry of the current period.",
    ),
}
ALT_PLAIN: dict[str, Callable[[Deal], str]] = {
    "termination": lambda d: (
        f"Ending it: send us (or we send you) {d.notice_days} days' written notice and the "
        "arrangement stops at the end of that period. Work already done is still paid for."
    ),
    "limitation_of_liability": lambda d: (
        "Limits: neither side will claim from the other for knock-on losses "
        "(lost business, lost profit), and the overall limit on claims is "
        f"{_cap_words(d).replace('Agreement', 'agreement')}."
    ),
    "confidentiality": lambda d: (
        "Keeping things private: what you learn about our business stays with you, and "
        f"what we learn about yours stays with us. This lasts {d.conf_years} years."
    ),
    "data_protection": lambda d: (
        "Personal data: any information about identifiable people is processed in line "
        "with the GDPR and only as needed for the work; a breach is reported to the other side "
        f"within {d.breach_hours} hours."
    ),
    "governing_law": lambda d: (
        f"Disputes: if we cannot sort out a disagreement between us, it will be decided "
        f"under the law of {law_phrase(d.law)} by its courts."
    ),
    "indemnification": lambda d: (
        f"Claims by others: {d.second.short} protects {d.first.short} against claims by "
        "third parties caused by its own mistakes or negligence, and pays the resulting costs."
    ),
    "force_majeure": lambda d: (
        "Things nobody can control: a flood, a war, a pandemic or a long grid failure "
        "excuses delays for as long as it lasts, provided the affected side tells the other quickly."
    ),
    "auto_renewal": lambda d: (
        f"Renewal: at the end of each {d.renew_months}-month period this carries on for "
        f"another {d.renew_months} months automatically unless someone cancels at least "
        f"{d.notice_days} days before."
    ),
}

NEGATIVES = {
    "auto_renewal": "This agreement ends on the expiry of its term and does not renew automatically; any "
    "extension must be agreed in writing.",
    "force_majeure": "Delays in performance are dealt with under the service levels only.",
    "data_protection": "No personal data will be exchanged or processed under this agreement.",
}


#: Which categories may state the absence of a clause (a service-level remark makes no sense in an NDA).
NEGATIVE_CATEGORIES = {
    "auto_renewal": {
        "master_services_agreement",
        "statement_of_work",
        "non_disclosure_agreement",
        "lease_agreement",
    },
    "force_majeure": {"master_services_agreement", "statement_of_work"},
    "data_protection": {"master_services_agreement", "statement_of_work", "non_disclosure_agreement"},
}


def _employment(deal: Deal, name: str) -> tuple[str, str]:
    """Employment contracts word their clauses for an employee, not for a business partner."""
    texts = {
        "termination": (
            "Notice",
            f"After the probationary period either party may end the employment by giving "
            f"{words_number(deal.notice_days)} days' written notice. The Employer may dismiss without notice "
            "for gross misconduct.",
        ),
        "confidentiality": (
            "Confidential Information",
            "You must not use or disclose the Employer's confidential information, including customer lists, "
            f"prices and business plans, during your employment or for {words_number(deal.conf_years)} years "
            "after it ends.",
        ),
        "data_protection": (
            "Your Personal Data",
            "The Employer processes your personal data (contact, bank, payroll and absence records) for the "
            "purposes of your employment in accordance with the GDPR; the staff privacy notice explains how.",
        ),
        "governing_law": (
            "Law",
            f"This contract is governed by the laws of {law_phrase(deal.law)}.",
        ),
    }
    return texts[name]


def _negatives(deal: Deal, rng: random.Random) -> list[str]:
    category = deal.extra["category"]
    return [
        text
        for name, text in NEGATIVES.items()
        if not deal.clauses[name] and category in NEGATIVE_CATEGORIES[name] and rng.random() < 0.35
    ]


def _clause_sections(deal: Deal, rng: random.Random) -> list[tuple[str, str]]:
    order = [name for name in CLAUSES if deal.clauses[name]]
    rng.shuffle(order)
    if deal.extra["category"] == "employment_contract":
        return [_employment(deal, name) for name in order]
    sections = [_formal(deal, name, rng.randrange(2)) for name in order]
    return sections + [("Miscellaneous", text) for text in _negatives(deal, rng)]


def _plain_clauses(deal: Deal, rng: random.Random) -> list[str]:
    if deal.extra["category"] == "employment_contract":
        order = [name for name in CLAUSES if deal.clauses[name]]
        rng.shuffle(order)
        return [_employment(deal, name)[1] for name in order]
    paragraphs = [_plain(deal, name, rng.randrange(2)) for name in CLAUSES if deal.clauses[name]]
    rng.shuffle(paragraphs)
    return paragraphs + _negatives(deal, rng)


def deal_fields(deal: Deal, **overrides: Any) -> dict[str, Any]:
    fields = empty_fields()
    fields.update(
        document_number=deal.reference,
        document_date=deal.signed.isoformat(),
        effective_date=deal.effective.isoformat(),
        party_issuer=deal.first.name,
        party_recipient=deal.second.name,
        governing_law=deal.law if deal.clauses["governing_law"] else None,
    )
    fields.update(overrides)
    return fields


def _signature_block(deal: Deal) -> list[str]:
    one, two = deal.signatories
    return [
        f"Signed for and on behalf of {deal.first.name}: {one}, {_title(one)}",
        "",
        f"Signed for and on behalf of {deal.second.name}: {two}, {_title(two)}",
    ]


def _title(person: str) -> str:
    titles = ("Director", "Chief Executive Officer", "Managing Director", "General Counsel", "COO")
    return titles[sum(map(ord, person)) % len(titles)]


def _qa(question: str, answer: str, must: list[str]) -> dict[str, Any]:
    return {"question": question, "answer": answer, "must_contain": must}


def _termination_qa(deal: Deal, what: str) -> list[dict[str, Any]]:
    if not deal.clauses["termination"]:
        return []
    return [
        _qa(
            f"What notice period applies to terminating the {what} between {deal.first.short} and "
            f"{deal.second.short} for convenience?",
            f"{deal.notice_days} days' written notice",
            [f"{deal.notice_days} days", f"{words_number(deal.notice_days)} days"],
        )
    ]


def _doc(
    deal: Deal,
    category: str,
    layout: str,
    name: str,
    text: str,
    fields: dict[str, Any],
    summary: str,
    qa: list[dict[str, Any]],
) -> Doc:
    if fields["document_number"] is not None and fields["document_number"] not in text:
        fields["document_number"] = None  # this layout does not print the reference: nothing to extract
    return Doc(
        path=f"{folder_for(deal.signed)}/{name}",
        category=category,
        layout=layout,
        text=tidy(text),
        fields=fields,
        clauses=dict(deal.clauses),
        summary=summary,
        qa=qa,
    )


def _html(title: str, sections: list[tuple[str, str]], intro: list[str], outro: list[str]) -> str:
    body = [f"<h1>{escape(title)}</h1>", *[f"<p>{escape(p)}</p>" for p in intro]]
    for number, (heading, text) in enumerate(sections, start=1):
        body.append(f"<h2>{number}. {escape(heading)}</h2>")
        body.append(f"<p>{escape(text)}</p>")
    body += [f"<p>{escape(p)}</p>" for p in outro]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            f'<head><meta charset="utf-8"><title>{escape(title)}</title></head>',
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )


def _numbered_md(title: str, preamble: list[str], sections: list[tuple[str, str]], closing: list[str]) -> str:
    lines = [f"# {title}", "", *preamble, ""]
    for number, (heading, text) in enumerate(sections, start=1):
        lines += [f"## {number}. {heading}", "", f"{number}.1 {text}", ""]
    return "\n".join([*lines, *closing])


# --- master services agreements ------------------------------------------------------------------

SERVICES = {
    "logistics": "warehousing, pick-and-pack and last-mile delivery services",
    "marine": "vessel maintenance, inspection and harbour support services",
    "design": "brand, content and user-experience design services",
    "interiors": "workplace design and fit-out services",
    "software": "software development, managed cloud hosting and support services",
    "packaging": "packaging design and supply services",
    "engineering": "precision machining and maintenance engineering services",
    "food": "chilled and frozen food supply and delivery services",
    "publishing": "editorial, typesetting and print management services",
    "consulting": "legal and regulatory advisory services",
    "health": "occupational health and clinical data management services",
    "energy": "energy supply and energy-efficiency services",
    "events": "event management, venue and catering services",
    "facility": "facility management, cleaning and security services",
    "property": "property and estate management services",
    "biotech": "laboratory testing and assay development services",
    "retail": "retail merchandising and promotion services",
}


def msa_formal(rng: random.Random, index: int) -> Doc:
    deal = make_deal(rng, "master_services_agreement", ("Customer", "Supplier"))
    service, terms = SERVICES[TRADE[deal.second.short]], rng.choice((30, 45, 60))
    preamble = [
        f"**THIS MASTER SERVICES AGREEMENT** is made on {deal.day(deal.signed)}"
        + (f" (reference {deal.reference})" if deal.reference else "")
        + " BETWEEN:",
        "",
        f"(1) **{deal.first.name}**, whose registered office is at {deal.first.address_inline()} "
        '(the "Customer"); and',
        f"(2) **{deal.second.name}**, whose registered office is at {deal.second.address_inline()} "
        '(the "Supplier").',
        "",
        f"The Supplier provides {service}. This Agreement sets the framework terms on which the Customer may "
        "order those services by Statements of Work. It takes effect on "
        f'{deal.day(deal.effective)} (the "Effective Date").',
    ]
    sections = [
        (
            "Services",
            "The Supplier shall perform the services described in each Statement of Work with "
            "reasonable skill and care and in accordance with good industry practice.",
        ),
        (
            "Fees and Payment",
            f"The Customer shall pay each undisputed invoice within {terms} days of "
            "receipt. Fees are exclusive of VAT, which is payable in addition.",
        ),
        *_clause_sections(deal, rng),
    ]
    closing = [
        "IN WITNESS WHEREOF the parties have executed this Agreement on the date first written above.",
        "",
        *_signature_block(deal),
    ]
    text = _numbered_md("Master Services Agreement", preamble, sections, closing)
    name = f"msa-{slug(deal.second.short)}-{slug(deal.first.short)}-{deal.signed.year}.md"
    summary = (
        f"Master services agreement under which {deal.second.name} provides {service} to "
        f"{deal.first.name}, effective {fmt_date(deal.effective, 'uk')}, with invoices payable "
        f"within {terms} days."
    )
    fields = deal_fields(deal, payment_terms_days=terms)
    return _doc(
        deal,
        "master_services_agreement",
        "formal-numbered",
        name,
        text,
        fields,
        summary,
        _termination_qa(deal, "master services agreement"),
    )


def msa_plain(rng: random.Random, index: int) -> Doc:
    deal = make_deal(rng, "master_services_agreement", ("Client", "Provider"))
    service, terms = SERVICES[TRADE[deal.second.short]], rng.choice((14, 30))
    paragraphs = [
        f"SERVICES AGREEMENT - {deal.first.short} and {deal.second.short}",
        "",
        f"Date: {deal.day(deal.signed)}" + (f"    Ref: {deal.reference}" if deal.reference else ""),
        "",
        f'Who we are. {deal.first.name} ("you") and {deal.second.name} ("we"). We provide {service}.',
        "",
        f"What this covers. This is our umbrella agreement: it covers every piece of work you order from us "
        f"from {deal.day(deal.effective)} onwards. Each piece of work is described in a short order or "
        "statement of work that refers back to this agreement.",
        "",
        f"Paying us. We invoice monthly in arrears. You pay within {terms} days. If you think an invoice is "
        "wrong, tell us within a week and pay the part you agree with.",
        "",
    ]
    for text in _plain_clauses(deal, rng):
        paragraphs += [f"- {text}", ""]
    paragraphs += [
        "Changes. Any change to this agreement has to be in writing and signed by both of us.",
        "",
        f"Agreed by {deal.signatories[0]} for {deal.first.name} and {deal.signatories[1]} for "
        f"{deal.second.name}.",
    ]
    name = f"services-agreement-{slug(deal.first.short)}-{deal.signed.year}.txt"
    summary = (
        f"Plain-English umbrella services agreement for {service} between {deal.first.name} and "
        f"{deal.second.name}, starting {fmt_date(deal.effective, 'uk')}; invoices are due within "
        f"{terms} days."
    )
    fields = deal_fields(deal, payment_terms_days=terms)
    return _doc(
        deal,
        "master_services_agreement",
        "plain-english",
        name,
        "\n".join(paragraphs),
        fields,
        summary,
        _termination_qa(deal, "services agreement"),
    )


def msa_html(rng: random.Random, index: int) -> Doc:
    deal = make_deal(rng, "master_services_agreement", ("Company", "Vendor"))
    service, terms = SERVICES[TRADE[deal.second.short]], rng.choice((30, 60))
    intro = [
        f"This Framework Agreement for Services is entered into as of {deal.day(deal.signed)} by "
        f'{deal.first.name} ("Company") and {deal.second.name} ("Vendor")'
        + (f", agreement number {deal.reference}" if deal.reference else "")
        + ".",
        f"Vendor will supply {service} as ordered by Company from time to time through purchase orders or "
        f"work orders, each governed by these terms from the commencement date {deal.day(deal.effective)}.",
    ]
    sections = [
        (
            "Orders",
            "Each work order states scope, service levels, charges and duration. In a conflict "
            "the work order prevails for that order only.",
        ),
        ("Invoicing", f"Vendor invoices monthly; Company pays correct invoices within {terms} days."),
        *_clause_sections(deal, rng),
    ]
    outro = [f"Executed by {deal.signatories[0]} and {deal.signatories[1]}."]
    text = _html("Framework Agreement for Services", sections, intro, outro)
    name = f"framework-agreement-{slug(deal.second.short)}.html"
    summary = (
        f"Framework services agreement in which {deal.second.name} supplies {service} to "
        f"{deal.first.name} under work orders, payable within {terms} days, commencing "
        f"{fmt_date(deal.effective, 'uk')}."
    )
    return _doc(
        deal,
        "master_services_agreement",
        "html-framework",
        name,
        text,
        deal_fields(deal, payment_terms_days=terms),
        summary,
        _termination_qa(deal, "framework agreement"),
    )


# --- statements of work ---------------------------------------------------------------------------

PROJECTS = [
    (
        "Warehouse Management Migration",
        ["Discovery and data audit", "Migration of item master", "Cut-over and hypercare"],
    ),
    (
        "Customer Portal Redesign",
        ["Research and wireframes", "Visual design", "Front-end build", "Accessibility audit"],
    ),
    ("Quarterly Analytics Dashboard", ["Data model", "Dashboard build", "Training"]),
    ("Cold Chain Route Optimisation", ["Route analysis", "Pilot in two regions", "Roll-out plan"]),
    ("Payroll System Implementation", ["Configuration", "Parallel run", "Go-live support"]),
    ("Clinical Trial Data Cleaning", ["Data review", "Query management", "Database lock support"]),
    ("Fleet Telematics Rollout", ["Device procurement", "Installation in 120 vehicles", "Driver training"]),
    ("E-invoicing Integration", ["Requirements", "Connector build", "Testing with trading partners"]),
    ("Office Relocation Programme", ["Space planning", "Move logistics", "Snagging"]),
]


def _sow_base(
    rng: random.Random, roles: tuple[str, str], index: int
) -> tuple[Deal, str, list[tuple[str, float]], str, dt.date]:
    deal = make_deal(rng, "statement_of_work", roles)
    project, phases = PROJECTS[index % len(PROJECTS)]
    milestones = [(phase, float(rng.randrange(30, 240) * 100)) for phase in phases]
    msa_ref = f"MSA-{deal.signed.year - rng.choice((0, 1))}-{rng.randrange(1, 99):03d}"
    end = deal.effective + dt.timedelta(days=rng.choice((60, 90, 120, 180)))
    return deal, project, milestones, msa_ref, end


def _sow_fields(deal: Deal, milestones: list[tuple[str, float]], terms: int | None) -> dict[str, Any]:
    total = round(sum(amount for _, amount in milestones), 2)
    return deal_fields(
        deal, currency=deal.second.locale.currency, total_amount=total, payment_terms_days=terms
    )


def _sow_summary(deal: Deal, project: str, milestones: list[tuple[str, float]], end: dt.date) -> str:
    total = sum(amount for _, amount in milestones)
    return (
        f"Statement of work for the {project} project, delivered by {deal.second.name} for "
        f"{deal.first.name} in {len(milestones)} milestones for a fixed fee of "
        f"{deal.second.locale.currency} {fmt_amount(total, 'en')}, to be completed by {fmt_date(end, 'uk')}."
    )


def _sow_qa(deal: Deal, project: str, milestones: list[tuple[str, float]]) -> list[dict[str, Any]]:
    total = sum(amount for _, amount in milestones)
    style = deal.second.locale.number_style
    return [
        _qa(
            f"What is the total fixed fee for the {project} statement of work?",
            money(total, deal.second.locale),
            [fmt_amount(total, style)[:-3]],
        )
    ]


def sow_formal(rng: random.Random, index: int) -> Doc:
    deal, project, milestones, msa_ref, end = _sow_base(rng, ("Customer", "Supplier"), index)
    terms = rng.choice((30, 45))
    locale = deal.second.locale
    preamble = [
        f"**Statement of Work No. {deal.reference}** - {project}" if deal.reference else f"**{project}**",
        "",
        f"This Statement of Work is entered into on {deal.day(deal.signed)} under the Master Services "
        f'Agreement {msa_ref} between {deal.first.name} (the "Customer") and {deal.second.name} (the '
        '"Supplier"). Terms defined in that agreement have the same meaning here; where this SOW is silent, '
        "the Master Services Agreement governs.",
    ]
    deliverables = "; ".join(f"({chr(97 + i)}) {phase}" for i, (phase, _) in enumerate(milestones))
    fees = "; ".join(f"{phase}: {money(amount, locale)}" for phase, amount in milestones)
    sections = [
        ("Scope and Deliverables", f"The Supplier shall deliver: {deliverables}."),
        ("Timeline", f"Work starts on {deal.day(deal.effective)} and shall be completed by {deal.day(end)}."),
        (
            "Fees",
            f"Fixed fee of {money(sum(a for _, a in milestones), locale)} excluding VAT, invoiced on "
            f"acceptance of each milestone as follows: {fees}. Invoices are payable within {terms} days.",
        ),
        (
            "Acceptance",
            "The Customer shall accept or reject each deliverable within ten (10) working days; "
            "silence is deemed acceptance.",
        ),
        *_clause_sections(deal, rng),
    ]
    text = _numbered_md(f"Statement of Work - {project}", preamble, sections, ["", *_signature_block(deal)])
    fields = _sow_fields(deal, milestones, terms)
    name = f"sow-{slug(project)}-{slug(deal.second.short)}.md"
    return _doc(
        deal,
        "statement_of_work",
        "formal-numbered",
        name,
        text,
        fields,
        _sow_summary(deal, project, milestones, end),
        _sow_qa(deal, project, milestones),
    )


def sow_milestones(rng: random.Random, index: int) -> Doc:
    deal, project, milestones, msa_ref, end = _sow_base(rng, ("Client", "Consultant"), index)
    locale = deal.second.locale
    lead = pick_person(rng, deal.signatories)
    lines = [
        f"# {project} - Project Statement of Work",
        "",
        f"Client: {deal.first.name}  ",
        f"Consultant: {deal.second.name}  ",
        f"Framework: {msa_ref}  ",
        f"Prepared: {deal.day(deal.signed)} by {lead}  ",
        f"Start: {deal.day(deal.effective)} - Target completion: {deal.day(end)}",
        "",
        "## Objectives",
        "",
        rng.choice(
            [
                "Replace the client's current process with a supported solution and hand over to "
                "the client's "
                f"team by {deal.day(end)}.",
                "Deliver a working, documented result that the client's own staff can operate without the "
                "consultant after the hypercare period.",
            ]
        ),
        "",
        "## Milestones and payments",
        "",
        "| Milestone | Payment on acceptance |",
        "|---|---:|",
        *[f"| {phase} | {money(amount, locale)} |" for phase, amount in milestones],
        f"| **Total (fixed price)** | **{money(sum(a for _, a in milestones), locale)}** |",
        "",
        "## Assumptions",
        "",
        "- The client provides a named product owner available at least two days a week.",
        "- Test environments are available from week two.",
        "- Travel is charged at cost and is not included in the fixed price.",
        "",
        "## Out of scope",
        "",
        "Ongoing support after hypercare, licence fees, and hardware.",
        "",
    ]
    for text in _plain_clauses(deal, rng):
        lines += [f"- {text}"]
    lines += [
        "",
        f"Approved: {deal.signatories[0]} ({deal.first.short}), {deal.signatories[1]} ({deal.second.short})",
    ]
    fields = _sow_fields(deal, milestones, None)
    fields["document_number"] = None
    deal.reference = None
    name = f"{slug(deal.first.short)}-{slug(project)}-sow.md"
    return _doc(
        deal,
        "statement_of_work",
        "milestone-table",
        name,
        "\n".join(lines),
        fields,
        _sow_summary(deal, project, milestones, end),
        _sow_qa(deal, project, milestones),
    )


def sow_letter(rng: random.Random, index: int) -> Doc:
    deal, project, milestones, msa_ref, end = _sow_base(rng, ("you", "we"), index)
    locale = deal.second.locale
    total = sum(a for _, a in milestones)
    contact = deal.signatories[1]
    lines = [
        deal.second.name,
        deal.second.address_inline(),
        "",
        deal.day(deal.signed),
        "",
        f"{deal.signatories[0]}",
        deal.first.name,
        deal.first.address_inline(),
        "",
        f"Work order under agreement {msa_ref}: {project}",
        "",
        f"Dear {deal.signatories[0].split()[0]},",
        "",
        f"Thank you for asking us to carry out the {project} project. This letter is the work order for "
        f"that project under our existing agreement {msa_ref}, and it does not change that "
        "agreement's terms.",
        "",
        f"We will start on {deal.day(deal.effective)} and aim to finish by {deal.day(end)}. The work "
        f"comprises {', '.join(phase.lower() for phase, _ in milestones)}.",
        "",
        f"Our fee is fixed at {money(total, locale)} plus VAT, invoiced in {len(milestones)} instalments as "
        "each stage is signed off by your team. Expenses are not expected; if any arise we will ask first.",
        "",
    ]
    for text in _plain_clauses(deal, rng):
        lines += [text, ""]
    lines += [
        "If you are happy with this, please sign and return a copy.",
        "",
        "Yours sincerely,",
        contact,
        deal.second.name,
        "",
        f"Accepted for {deal.first.name}: ____________________",
    ]
    fields = _sow_fields(deal, milestones, None)
    fields["document_number"] = None
    deal.reference = None
    name = f"work-order-{slug(project)}-{deal.signed.year}.txt"
    return _doc(
        deal,
        "statement_of_work",
        "letter",
        name,
        "\n".join(lines),
        fields,
        _sow_summary(deal, project, milestones, end),
        _sow_qa(deal, project, milestones),
    )


# --- NDAs -----------------------------------------------------------------------------------------

PURPOSES = [
    "evaluating a possible joint bid for a public logistics tender",
    "discussing a potential acquisition of a minority stake",
    "assessing a software integration partnership",
    "exploring a supply agreement for recycled packaging",
    "reviewing a clinical research collaboration",
]


def _nda_qa(deal: Deal) -> list[dict[str, Any]]:
    if not deal.clauses["confidentiality"]:
        return []
    return [
        _qa(
            f"For how long do the confidentiality obligations in the NDA between {deal.first.short} and "
            f"{deal.second.short} last?",
            f"{deal.conf_years} years",
            [f"{deal.conf_years} years", f"{words_number(deal.conf_years)} years"],
        )
    ]


def nda_mutual(rng: random.Random, index: int) -> Doc:
    deal = make_deal(rng, "non_disclosure_agreement", ("Disclosing Party", "Receiving Party"))
    purpose = rng.choice(PURPOSES)
    preamble = [
        f"This Mutual Non-Disclosure Agreement is dated {deal.day(deal.signed)} and made between "
        f"**{deal.first.name}** of {deal.first.address_inline()} and **{deal.second.name}** of "
        f'{deal.second.address_inline()} (each a "Party"). It takes effect on {deal.day(deal.effective)}.',
        "",
        f'The Parties wish to exchange information for the purpose of {purpose} (the "Purpose"). Each Party '
        "may act as Disclosing Party and as Receiving Party.",
    ]
    sections = [
        (
            "Definition",
            '"Confidential Information" means all technical, commercial and financial information '
            "disclosed in any form, but excludes information that is or becomes public other than "
            "through breach, "
            "was lawfully known to the recipient, or is independently developed.",
        ),
        *_clause_sections(deal, rng),
        (
            "Return of Information",
            "On request, the Receiving Party shall return or destroy all Confidential "
            "Information, save for copies kept in routine back-ups.",
        ),
    ]
    text = _numbered_md("Mutual Non-Disclosure Agreement", preamble, sections, ["", *_signature_block(deal)])
    name = f"nda-{slug(deal.first.short)}-{slug(deal.second.short)}.md"
    summary = (
        f"Mutual NDA between {deal.first.name} and {deal.second.name} protecting information exchanged "
        f"for {purpose}."
    )
    return _doc(
        deal,
        "non_disclosure_agreement",
        "mutual-formal",
        name,
        text,
        deal_fields(deal),
        summary,
        _nda_qa(deal),
    )


def nda_oneway(rng: random.Random, index: int) -> Doc:
    deal = make_deal(rng, "non_disclosure_agreement", ("Company", "Recipient"))
    purpose = rng.choice(PURPOSES)
    lines = [
        "CONFIDENTIALITY AGREEMENT (ONE-WAY)",
        "",
        f'{deal.first.name} ("we") is sharing information with {deal.second.name} ("you") for '
        f"{purpose}. This short agreement is effective from {deal.day(deal.effective)}.",
        "",
        "1. What is confidential: everything we show or tell you about the opportunity, our business, our "
        "customers and our prices, unless it is already public.",
        "2. What you may do with it: use it only for the purpose above and share it only with your employees "
        "and advisers who need to know and who are bound to keep it confidential.",
        "3. What you may not do: copy it beyond what the purpose needs, or approach our customers or staff "
        "using it.",
    ]
    for number, text in enumerate(_plain_clauses(deal, rng), start=4):
        lines.append(f"{number}. {text}")
    lines += [
        "",
        "Nothing here obliges either of us to go ahead with any transaction.",
        "",
        f"Signed on {deal.day(deal.signed)}:",
        f"{deal.signatories[0]} for {deal.first.name}",
        f"{deal.signatories[1]} for {deal.second.name}",
    ]
    name = f"confidentiality-{slug(deal.second.short)}-{deal.signed.year}.txt"
    summary = (
        f"One-way confidentiality agreement under which {deal.second.name} must protect information "
        f"shared by {deal.first.name} for {purpose}."
    )
    return _doc(
        deal,
        "non_disclosure_agreement",
        "one-way-plain",
        name,
        "\n".join(lines),
        deal_fields(deal),
        summary,
        _nda_qa(deal),
    )


def nda_html(rng: random.Random, index: int) -> Doc:
    deal = make_deal(rng, "non_disclosure_agreement", ("Discloser", "Recipient"))
    purpose = rng.choice(PURPOSES)
    intro = [
        f"Agreement reference {deal.reference}." if deal.reference else "Standard form, version 3.",
        f"Between {deal.first.name} and {deal.second.name}, signed {deal.day(deal.signed)}, effective "
        f"{deal.day(deal.effective)}.",
        f"Purpose of disclosure: {purpose}.",
    ]
    sections = [
        (
            "Scope",
            "This agreement covers documents, data, samples and oral disclosures, whether or not marked.",
        ),
        *_clause_sections(deal, rng),
        (
            "Remedies",
            "Damages may not be an adequate remedy for breach and the Discloser may seek injunctive relief.",
        ),
    ]
    text = _html(
        "Non-Disclosure Agreement", sections, intro, [f"Signatories: {', '.join(deal.signatories)}."]
    )
    name = f"nda-{slug(deal.second.short)}-signed.html"
    summary = (
        f"Non-disclosure agreement between {deal.first.name} and {deal.second.name} covering "
        f"information shared for {purpose}."
    )
    return _doc(
        deal, "non_disclosure_agreement", "html-form", name, text, deal_fields(deal), summary, _nda_qa(deal)
    )


# --- employment contracts -------------------------------------------------------------------------

JOBS_BY_TRADE = {
    "logistics": [("Warehouse Shift Supervisor", 36500), ("Transport Planner", 38000)],
    "marine": [("Marine Technician", 44500)],
    "design": [("Graphic Designer", 41000), ("UX Researcher", 52000)],
    "interiors": [("Interior Designer", 39000)],
    "software": [("Senior Data Engineer", 78000), ("Product Manager", 72000)],
    "packaging": [("Production Planner", 40500)],
    "engineering": [("CNC Programmer", 42000), ("Quality Engineer", 47000)],
    "food": [("Food Safety Officer", 38500)],
    "publishing": [("Production Editor", 36000)],
    "consulting": [("Associate Consultant", 55000)],
    "health": [("Clinical Research Associate", 48500), ("Practice Nurse", 41000)],
    "energy": [("Energy Analyst", 51000)],
    "events": [("Event Coordinator", 33500)],
    "facility": [("Facilities Supervisor", 35500)],
    "property": [("Property Manager", 49000)],
    "biotech": [("Laboratory Scientist", 46000)],
    "retail": [("Store Manager", 42500)],
}
GENERIC_JOBS = [("Account Manager", 52000), ("Head of Finance", 96000), ("Payroll Specialist", 39500)]


def _employee_deal(rng: random.Random, index: int) -> tuple[Deal, str, str, int, int]:
    deal = make_deal(rng, "employment_contract", ("Employer", "Employee"))
    employee = PEOPLE[(index * 5 + 2) % len(PEOPLE)]
    if employee in deal.signatories:
        deal.signatories = (pick_person(rng, (employee,)), deal.signatories[1])
        if employee == deal.signatories[1]:
            deal.signatories = (deal.signatories[0], pick_person(rng, (employee, deal.signatories[0])))
    options = JOBS_BY_TRADE[TRADE[deal.first.short]] + GENERIC_JOBS
    job, salary = options[index % len(options)]
    # Every employment document states how the employment can end (probation notice at least).
    deal.clauses["termination"] = True
    salary = salary + rng.randrange(0, 40) * 250
    probation = rng.choice((3, 6))
    return deal, employee, job, salary, probation


def _employee_fields(deal: Deal, employee: str) -> dict[str, Any]:
    return deal_fields(deal, party_recipient=employee, currency=deal.first.locale.currency)


def _employee_qa(deal: Deal, employee: str, salary: int, probation: int) -> list[dict[str, Any]]:
    return [
        _qa(
            f"What is {employee}'s annual salary?",
            _salary(deal, salary),
            [_salary(deal, salary), fmt_amount(salary, deal.first.locale.number_style)[:-3]],
        ),
        _qa(
            f"How long is {employee}'s probationary period?",
            f"{probation} months",
            [f"{probation} months", f"{words_number(probation)} months"],
        ),
    ]


def _salary(deal: Deal, salary: int) -> str:
    text = money(salary, deal.first.locale)
    return text.replace(",00 €", " €").removesuffix(".00")


def employment_offer(rng: random.Random, index: int) -> Doc:
    deal, employee, job, salary, probation = _employee_deal(rng, index)
    manager = deal.signatories[0]
    lines = [
        deal.first.name,
        deal.first.address_inline(),
        "",
        deal.day(deal.signed),
        "",
        "PRIVATE AND CONFIDENTIAL",
        employee,
        "",
        f"Dear {employee.split()[0]},",
        "",
        f"Offer of employment: {job}",
        "",
        f"I am delighted to offer you the position of {job} at {deal.first.name}. Your employment will start "
        f"on {deal.day(deal.effective)}, reporting to {manager}.",
        "",
        f"Salary: {_salary(deal, salary)} per year, paid monthly in arrears by bank transfer.",
        f"Probation: the first {words_number(probation)} months are a probationary period, during which "
        "either side may end the employment with one week's notice.",
        f"Hours and place of work: 37.5 hours a week, based at our {deal.first.city} office with up to two "
        "days a week from home.",
        f"Holiday: {rng.choice((25, 27, 28, 30))} days a year plus public holidays.",
        "",
    ]
    for text in _plain_clauses(deal, rng):
        lines += [
            text.replace("Either of us", "Either you or we").replace("this agreement", "your employment"),
            "",
        ]
    lines += [
        "This offer is conditional on satisfactory references and proof of your right to work.",
        "Please sign and return the enclosed copy within seven days to accept.",
        "",
        "Yours sincerely,",
        manager,
        f"for {deal.first.name}",
        "",
        f"I accept the offer above. Signed: {employee}",
    ]
    name = f"offer-letter-{slug(employee)}.txt"
    summary = (
        f"Offer letter from {deal.first.name} to {employee} for the role of {job} at "
        f"{_salary(deal, salary)} a year, starting {fmt_date(deal.effective, 'uk')} with a "
        f"{probation}-month probation."
    )
    return _doc(
        deal,
        "employment_contract",
        "offer-letter",
        name,
        "\n".join(lines),
        _employee_fields(deal, employee),
        summary,
        _employee_qa(deal, employee, salary, probation),
    )


def employment_formal(rng: random.Random, index: int) -> Doc:
    deal, employee, job, salary, probation = _employee_deal(rng, index)
    deal.clauses["termination"] = True
    preamble = [
        f"This Contract of Employment is made on {deal.day(deal.signed)}"
        + (f" (ref. {deal.reference})" if deal.reference else "")
        + f' between **{deal.first.name}** (the "Employer") and **{employee}** (the "Employee").',
    ]
    sections = [
        (
            "Commencement and Role",
            f"The Employee's employment begins on {deal.day(deal.effective)}. The Employee "
            f"is employed as {job} and shall perform such duties as the Employer reasonably assigns.",
        ),
        (
            "Remuneration",
            f"The Employer shall pay the Employee a gross annual salary of {_salary(deal, salary)}, "
            "payable in twelve equal monthly instalments.",
        ),
        ("Probation", f"The first {words_number(probation)} months of employment are probationary."),
        (
            "Working Time",
            "Normal working hours are 09:00 to 17:30, Monday to Friday, with an unpaid lunch break "
            "of one hour.",
        ),
        *_clause_sections(deal, rng),
    ]
    text = _numbered_md(
        "Contract of Employment",
        preamble,
        sections,
        ["", f"Signed: {deal.signatories[0]} for the Employer", "", f"Signed: {employee}, Employee"],
    )
    name = f"employment-contract-{slug(employee)}-{deal.signed.year}.md"
    summary = (
        f"Employment contract between {deal.first.name} and {employee} as {job} from "
        f"{fmt_date(deal.effective, 'uk')}, at a salary of {_salary(deal, salary)} with "
        f"{probation} months' probation."
    )
    return _doc(
        deal,
        "employment_contract",
        "formal-numbered",
        name,
        text,
        _employee_fields(deal, employee),
        summary,
        _employee_qa(deal, employee, salary, probation),
    )


def employment_particulars(rng: random.Random, index: int) -> Doc:
    deal, employee, job, salary, probation = _employee_deal(rng, index)
    rows = [
        ("Employer", deal.first.name),
        ("Employee", employee),
        ("Job title", job),
        ("Date employment begins", deal.day(deal.effective)),
        ("Place of work", deal.first.address_inline()),
        ("Pay", f"{_salary(deal, salary)} gross per annum, paid on the last working day of each month"),
        ("Probation", f"{probation} months"),
        ("Hours", "40 hours per week, flexible start between 07:30 and 10:00"),
        ("Holiday entitlement", "28 days including bank holidays"),
        (
            "Sick pay",
            "Statutory sick pay, plus full pay for up to 10 days a year at the Employer's discretion",
        ),
        ("Pension", "Auto-enrolment into the company scheme; employer contribution 5%"),
    ]
    body = [
        "<h1>Written Statement of Employment Particulars</h1>",
        f"<p>Issued {deal.day(deal.signed)}. This statement sets out the main terms of your employment.</p>",
        "<table>",
        *[f"<tr><th>{k}</th><td>{escape(v)}</td></tr>" for k, v in rows],
        "</table>",
        "<h2>Other terms</h2>",
    ]
    body += [f"<p>{escape(text)}</p>" for text in _plain_clauses(deal, rng)]
    body += [f"<p>Signed for the Employer by {deal.signatories[0]}. Received by {employee}.</p>"]
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>Statement of particulars</title></head>',
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )
    name = f"particulars-{slug(employee)}.html"
    summary = (
        f"Statement of employment particulars for {employee}, {job} at {deal.first.name}, starting "
        f"{fmt_date(deal.effective, 'uk')} on {_salary(deal, salary)} a year."
    )
    return _doc(
        deal,
        "employment_contract",
        "html-particulars",
        name,
        text,
        _employee_fields(deal, employee),
        summary,
        _employee_qa(deal, employee, salary, probation),
    )


# --- leases ---------------------------------------------------------------------------------------

PREMISES = [
    "Unit 4, Meadowbank Business Park",
    "Second floor, 19 Castle Street",
    "Warehouse B, Dockside Industrial Estate",
    "Ground floor retail unit, 7 Market Row",
    "Suite 310, Harbourview House",
    "Yard and workshop at 2 Foundry Lane",
    "Flat 3, 41 Orchard Crescent",
    "Cold store, Plot 12 Fenland Road",
    "Studio 5, The Old Tannery",
    "Third floor offices, 88 Quay Parade",
]


def _lease(rng: random.Random, index: int) -> tuple[Deal, str, int, int, int]:
    deal = make_deal(rng, "lease_agreement", ("Landlord", "Tenant"))
    premises = PREMISES[index % len(PREMISES)]
    rent = rng.randrange(18, 140) * 100
    deposit = rent * rng.choice((2, 3))
    years = rng.choice((1, 3, 5, 10))
    return deal, premises, rent, deposit, years


def _lease_qa(deal: Deal, premises: str, rent: int, deposit: int) -> list[dict[str, Any]]:
    style = deal.first.locale.number_style
    return [
        _qa(
            f"What is the monthly rent for {premises}?",
            money(rent, deal.first.locale),
            [fmt_amount(rent, style)[:-3]],
        ),
        _qa(
            f"How large is the security deposit for {premises}?",
            money(deposit, deal.first.locale),
            [fmt_amount(deposit, style)[:-3]],
        ),
    ]


def _lease_fields(deal: Deal) -> dict[str, Any]:
    return deal_fields(deal, currency=deal.first.locale.currency)


def lease_formal(rng: random.Random, index: int) -> Doc:
    deal, premises, rent, deposit, years = _lease(rng, index)
    locale = deal.first.locale
    preamble = [
        f"**DATE:** {deal.day(deal.signed)}"
        + (f"  **LEASE NO.:** {deal.reference}" if deal.reference else ""),
        "",
        f"**LANDLORD:** {deal.first.name}, {deal.first.address_inline()}",
        "",
        f"**TENANT:** {deal.second.name}, {deal.second.address_inline()}",
        "",
        f"**PREMISES:** {premises}, {deal.first.city}",
    ]
    sections = [
        (
            "Grant and Term",
            f"The Landlord lets the Premises to the Tenant for a term of {words_number(years)} "
            f"year{'s' if years > 1 else ''} starting on {deal.day(deal.effective)}.",
        ),
        (
            "Rent",
            f"The Tenant shall pay rent of {money(rent, locale)} per month in advance on the first day "
            "of each month, without deduction or set-off.",
        ),
        (
            "Deposit",
            f"On signing, the Tenant shall pay a security deposit of {money(deposit, locale)}, "
            "returnable within thirty days after the end of the term less any proper deductions.",
        ),
        (
            "Use and Repair",
            "The Tenant shall use the Premises only for offices, light industrial or storage "
            "purposes and shall keep the interior in good repair, fair wear and tear excepted.",
        ),
        *_clause_sections(deal, rng),
    ]
    text = _numbered_md("Lease Agreement", preamble, sections, ["", *_signature_block(deal)])
    name = f"lease-{short_slug(premises)}.md"
    fields = _lease_fields(deal)
    summary = (
        f"{years}-year lease of {premises} from {deal.first.name} to {deal.second.name} from "
        f"{fmt_date(deal.effective, 'uk')} at {money(rent, locale)} a month with a "
        f"{money(deposit, locale)} deposit."
    )
    return _doc(
        deal,
        "lease_agreement",
        "formal-numbered",
        name,
        text,
        fields,
        summary,
        _lease_qa(deal, premises, rent, deposit),
    )


def lease_heads(rng: random.Random, index: int) -> Doc:
    deal, premises, rent, deposit, years = _lease(rng, index)
    deal.clauses["termination"] = True  # the break option is a termination right
    locale = deal.first.locale
    agent = pick_person(rng, deal.signatories)
    lines = [
        "# Heads of Terms - Commercial Letting",
        "",
        "*Subject to contract. These heads of terms become binding only when the lease below is signed.*",
        "",
        "| Item | Agreed terms |",
        "|---|---|",
        f"| Property | {premises}, {deal.first.city} |",
        f"| Landlord | {deal.first.name} |",
        f"| Tenant | {deal.second.name} |",
        f"| Lease start | {deal.day(deal.effective)} |",
        f"| Length | {years} year{'s' if years > 1 else ''} |",
        f"| Rent | {money(rent, locale)} per calendar month, exclusive of service charge |",
        f"| Deposit | {money(deposit, locale)} |",
        "| Break option | Tenant may break at the end of year 2 on 6 months' notice |",
        "| Repair | Internal repairing only; schedule of condition to be attached |",
        "| Use | Offices and ancillary storage |",
        "",
        "## Further terms",
        "",
    ]
    for text in _plain_clauses(deal, rng):
        lines.append(f"- {text.replace('agreement', 'lease')}")
    lines += [
        "",
        f"Prepared by {agent}, letting agent, on {deal.day(deal.signed)}. "
        f"Agreed: {deal.signatories[0]} (Landlord), {deal.signatories[1]} (Tenant).",
    ]
    name = f"heads-of-terms-{short_slug(premises)}.md"
    fields = _lease_fields(deal)
    fields["document_number"] = None
    summary = (
        f"Heads of terms for letting {premises} by {deal.first.name} to {deal.second.name} for "
        f"{years} year{'s' if years > 1 else ''} at {money(rent, locale)} a month from "
        f"{fmt_date(deal.effective, 'uk')}."
    )
    deal.reference = None
    return _doc(
        deal,
        "lease_agreement",
        "heads-of-terms-table",
        name,
        "\n".join(lines),
        fields,
        summary,
        _lease_qa(deal, premises, rent, deposit),
    )


def lease_short(rng: random.Random, index: int) -> Doc:
    deal, premises, rent, deposit, years = _lease(rng, index)
    locale = deal.first.locale
    lines = [
        "TENANCY AGREEMENT",
        "",
        f"Made on {deal.day(deal.signed)}.",
        "",
        f"{deal.first.name} agrees to rent {premises}, {deal.first.city} to {deal.second.name}.",
        "",
        f"The tenancy starts on {deal.day(deal.effective)} and runs for {years} "
        f"year{'s' if years > 1 else ''}.",
        f"Rent is {money(rent, locale)} a month, due on the 1st. A deposit of {money(deposit, locale)} is "
        "held in a protected account and paid back at the end, less any damage or unpaid rent.",
        "The tenant pays for electricity, water, telecoms and business rates.",
        "The landlord insures the building and looks after the roof, structure and common parts.",
        "No subletting without the landlord's written consent, which will not be unreasonably withheld.",
        "",
    ]
    lines += _plain_clauses(deal, rng)
    lines += ["", f"Signed: {deal.signatories[0]} (landlord)    {deal.signatories[1]} (tenant)"]
    name = f"tenancy-{slug(deal.second.short)}-{deal.signed.year}.txt"
    fields = _lease_fields(deal)
    fields["document_number"] = None
    deal.reference = None
    summary = (
        f"Short tenancy agreement letting {premises} from {deal.first.name} to {deal.second.name} for "
        f"{years} year{'s' if years > 1 else ''} at {money(rent, locale)} per month."
    )
    return _doc(
        deal,
        "lease_agreement",
        "plain-short",
        name,
        "\n".join(lines),
        fields,
        summary,
        _lease_qa(deal, premises, rent, deposit),
    )


# --- data processing agreements -------------------------------------------------------------------

#: What a processor of each trade handles for its controller: (personal data, data subjects).
DATA_BY_TRADE = {
    "software": [
        ("customer names, e-mail addresses and order histories", "the Controller's customers"),
        ("employee names, salaries and bank details", "the Controller's employees"),
        ("website visitor identifiers and usage analytics", "visitors to the Controller's websites"),
    ],
    "health": [("employee health questionnaires and appointment records", "the Controller's employees")],
    "logistics": [
        ("names, delivery addresses and phone numbers of consignees", "the Controller's customers")
    ],
    "consulting": [("employee names, salaries and disciplinary records", "the Controller's employees")],
    "facility": [("visitor logs and CCTV recordings", "visitors to the Controller's premises")],
    "events": [("attendee names, e-mail addresses and dietary requirements", "event attendees")],
}


def _dpa(rng: random.Random) -> tuple[Deal, str, str]:
    deal = make_deal(rng, "data_processing_agreement", ("Controller", "Processor"))
    while TRADE[deal.second.short] not in DATA_BY_TRADE or deal.second == deal.first:
        deal.second = rng.choice([party for party in COMPANIES if party != deal.first])
    data, subjects = rng.choice(DATA_BY_TRADE[TRADE[deal.second.short]])
    return deal, data, subjects


def _dpa_qa(deal: Deal) -> list[dict[str, Any]]:
    return [
        _qa(
            f"How quickly must {deal.second.short} report a personal data breach to {deal.first.short}?",
            f"within {deal.breach_hours} hours",
            [f"{deal.breach_hours} hours"],
        )
    ]


def _dpa_summary(deal: Deal, data: str) -> str:
    return (
        f"Data processing agreement under which {deal.second.name} processes {data} on behalf of "
        f"{deal.first.name}, with breaches reported within {deal.breach_hours} hours."
    )


def dpa_formal(rng: random.Random, index: int) -> Doc:
    deal, data, subjects = _dpa(rng)
    preamble = [
        f'This Data Processing Agreement ("DPA") is dated {deal.day(deal.signed)} and forms part of the '
        f'services agreement between **{deal.first.name}** ("Controller") and **{deal.second.name}** '
        '("Processor"). It is made to meet the requirements of Article 28 of Regulation (EU) 2016/679 and '
        f"applies from {deal.day(deal.effective)}.",
    ]
    sections = [
        (
            "Subject Matter",
            f"The Processor processes {data} relating to {subjects}, for the duration of the "
            "services agreement and for the purpose of providing the services.",
        ),
        (
            "Sub-processors",
            "The Processor shall not engage another processor without the Controller's prior "
            "written authorisation and shall impose equivalent obligations on any sub-processor.",
        ),
        (
            "Security",
            "The Processor shall implement appropriate technical and organisational measures, "
            "including encryption in transit and at rest, access control and regular testing.",
        ),
        (
            "International Transfers",
            "No personal data shall be transferred outside the European Economic Area "
            "except under standard contractual clauses approved by the European Commission.",
        ),
        *_clause_sections(deal, rng),
    ]
    text = _numbered_md("Data Processing Agreement", preamble, sections, ["", *_signature_block(deal)])
    name = f"dpa-{slug(deal.second.short)}-{slug(deal.first.short)}.md"
    return _doc(
        deal,
        "data_processing_agreement",
        "formal-article28",
        name,
        text,
        deal_fields(deal),
        _dpa_summary(deal, data),
        _dpa_qa(deal) if deal.clauses["data_protection"] else [],
    )


def dpa_annex(rng: random.Random, index: int) -> Doc:
    deal, data, subjects = _dpa(rng)
    rows = [
        ("Controller", deal.first.name),
        ("Processor", deal.second.name),
        ("Effective from", deal.day(deal.effective)),
        ("Categories of data subjects", subjects),
        ("Categories of personal data", data),
        ("Nature of processing", "Storage, retrieval, analysis and deletion"),
        ("Retention", "Deleted or returned within 30 days after the end of the services"),
        ("Breach notification", f"Without undue delay and in any case within {deal.breach_hours} hours"),
        ("Sub-processors approved", "Hosting provider in Frankfurt; e-mail delivery provider in Dublin"),
    ]
    body = [
        "<h1>Annex 1 - Details of Processing</h1>",
        f"<p>Annex to the data processing terms agreed on {deal.day(deal.signed)}"
        + (f", reference {deal.reference}" if deal.reference else "")
        + ".</p>",
        "<table>",
        *[f"<tr><th>{k}</th><td>{escape(v)}</td></tr>" for k, v in rows],
        "</table>",
        "<h2>Annex 2 - Terms</h2>",
    ]
    deal.clauses["data_protection"] = True
    body += [f"<p>{escape(text)}</p>" for text in _plain_clauses(deal, rng)]
    body.append(f"<p>Approved by {deal.signatories[0]} and {deal.signatories[1]}.</p>")
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>Details of processing</title></head>',
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )
    name = f"processing-annex-{slug(deal.second.short)}.html"
    return _doc(
        deal,
        "data_processing_agreement",
        "html-annex",
        name,
        text,
        deal_fields(deal),
        _dpa_summary(deal, data),
        _dpa_qa(deal),
    )


def dpa_addendum(rng: random.Random, index: int) -> Doc:
    deal, data, _subjects = _dpa(rng)
    deal.clauses["data_protection"] = True
    lines = [
        "DATA PROTECTION ADDENDUM",
        "",
        f"Between {deal.first.name} (controller) and {deal.second.name} (processor), "
        f"effective {deal.day(deal.effective)}.",
        "",
        f"Why this addendum exists: {deal.second.short} handles {data} for {deal.first.short}. The law "
        "requires a written contract that says how that data is protected. This addendum is that "
        "contract and "
        "sits alongside the main agreement.",
        "",
        f"What {deal.second.short} will do:",
        "  - process the data only on written instructions from the controller;",
        "  - keep a record of the processing it carries out;",
        "  - help the controller answer requests from individuals exercising their rights;",
        "  - delete or hand back the data when the services end.",
        "",
    ]
    lines += _plain_clauses(deal, rng)
    lines += ["", f"Signed {deal.day(deal.signed)} by {deal.signatories[0]} and {deal.signatories[1]}."]
    name = f"gdpr-addendum-{slug(deal.first.short)}-{deal.signed.year}.txt"
    return _doc(
        deal,
        "data_processing_agreement",
        "plain-addendum",
        name,
        "\n".join(lines),
        deal_fields(deal),
        _dpa_summary(deal, data),
        _dpa_qa(deal),
    )


LAYOUTS: dict[str, list[Callable[[random.Random, int], Doc]]] = {
    "master_services_agreement": [msa_formal, msa_plain, msa_html],
    "statement_of_work": [sow_formal, sow_milestones, sow_letter],
    "non_disclosure_agreement": [nda_mutual, nda_oneway, nda_html],
    "employment_contract": [employment_offer, employment_formal, employment_particulars],
    "lease_agreement": [lease_formal, lease_heads, lease_short],
    "data_processing_agreement": [dpa_formal, dpa_annex, dpa_addendum],
}
