"""Legal instruments that are not contracts: powers of attorney and court notices, three layouts each.

The courts are invented ("Ashford Vale County Court", "Superior Court of Alder County"); so are case
numbers, claimants and defendants.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from corpus_common import (
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
    slug,
    tidy,
)

COURTS = {
    "GB": ["Ashford Vale County Court", "Business and Property Court at Westmarch"],
    "IE": ["District Court of Kilbarron"],
    "US": ["Superior Court of Alder County", "Civil Court of Harborview County"],
    "DE": ["Amtsgericht Lindenau"],
    "NL": ["Rechtbank Zeeweide"],
    "FR": ["Tribunal de commerce de Valmont"],
}


def _qa(question: str, answer: str, must: list[str]) -> dict[str, Any]:
    return {"question": question, "answer": answer, "must_contain": must}


def _doc(
    day: dt.date,
    category: str,
    layout: str,
    name: str,
    text: str,
    fields: dict[str, Any],
    summary: str,
    qa: list[dict[str, Any]],
) -> Doc:
    return Doc(
        path=f"{folder_for(day)}/{name}",
        category=category,
        layout=layout,
        text=tidy(text),
        fields=fields,
        clauses=None,
        summary=summary,
        qa=qa,
    )


def _day(party: Party, value: dt.date) -> str:
    return fmt_date(value, "us" if party.country == "US" else "uk")


# --- powers of attorney ---------------------------------------------------------------------------

POWERS = [
    "to sign, on the Principal's behalf, contracts for the sale of goods up to the value stated below",
    "to represent the Principal before tax and customs authorities and to file returns",
    "to open, operate and close bank accounts in the Principal's name",
    "to attend and vote at general meetings of companies in which the Principal holds shares",
    "to accept delivery of and sign for goods and documents addressed to the Principal",
]


def _poa_parties(rng: random.Random) -> tuple[Party, str, str, dt.date, dt.date]:
    principal = pick_parties(rng, 1)[0]
    attorney = pick_person(rng)
    signer = pick_person(rng, (attorney,))
    signed = rand_date(rng)
    expires = signed + dt.timedelta(days=rng.choice((90, 180, 365, 730)))
    return principal, attorney, signer, signed, expires


def _poa_fields(
    principal: Party, attorney: str, signed: dt.date, effective: dt.date, law: bool
) -> dict[str, Any]:
    fields = empty_fields()
    fields.update(
        document_date=signed.isoformat(),
        effective_date=effective.isoformat(),
        party_issuer=principal.name,
        party_recipient=attorney,
        governing_law=principal.locale.law if law else None,
    )
    return fields


def _poa_qa(principal: Party, attorney: str, expires: dt.date) -> list[dict[str, Any]]:
    return [
        _qa(f"Who did {principal.short} appoint as its attorney?", attorney, [attorney]),
        _qa(
            f"Until when is the authority {principal.short} gave {attorney} valid?",
            fmt_date(expires, "uk"),
            list(dict.fromkeys([_day(principal, expires), fmt_date(expires, "iso")])),
        ),
    ]


def poa_general(rng: random.Random, index: int) -> Doc:
    principal, attorney, signer, signed, expires = _poa_parties(rng)
    powers = rng.sample(POWERS, 3)
    law = rng.random() < 0.7
    lines = [
        "# General Power of Attorney",
        "",
        f"By this deed, made on {_day(principal, signed)}, **{principal.name}**, a company with its "
        "registered "
        f'office at {principal.address_inline()} (the "Principal"), acting by its director '
        f"{signer}, appoints "
        f'**{attorney}** (the "Attorney") to act in its name and on its behalf.',
        "",
        "## Powers granted",
        "",
        *[f"{number}. {power};" for number, power in enumerate(powers, start=1)],
        "",
        "## Duration",
        "",
        f"This power of attorney takes effect on the date of this deed and remains in force until "
        f"{_day(principal, expires)}, unless revoked earlier by written notice to the Attorney.",
        "",
        "## Ratification",
        "",
        "The Principal undertakes to ratify and confirm whatever the Attorney lawfully does under this deed, "
        "and third parties may rely on it until they receive notice of revocation.",
        "",
    ]
    if law:
        lines += [
            "## Law",
            "",
            f"This deed is governed by the laws of {law_phrase(principal.locale.law)}.",
            "",
        ]
    lines += [
        f"Executed as a deed by {principal.name} acting by {signer}, Director, in the presence of a "
        f"witness. Accepted by {attorney}."
    ]
    name = f"poa-{slug(principal.short)}-{slug(attorney)}.md"
    summary = (
        f"General power of attorney by which {principal.name} appoints {attorney} to act on its behalf "
        f"until {fmt_date(expires, 'uk')}."
    )
    return _doc(
        signed,
        "power_of_attorney",
        "formal-deed",
        name,
        "\n".join(lines),
        _poa_fields(principal, attorney, signed, signed, law),
        summary,
        _poa_qa(principal, attorney, expires),
    )


def poa_limited(rng: random.Random, index: int) -> Doc:
    principal, attorney, signer, signed, expires = _poa_parties(rng)
    power = rng.choice(POWERS)
    start = signed + dt.timedelta(days=rng.choice((0, 3, 10)))
    lines = [
        "LIMITED (SPECIAL) POWER OF ATTORNEY",
        "",
        f"Principal: {principal.name}, {principal.address_inline()}",
        f"Agent: {attorney}",
        "",
        f"I, {signer}, authorised signatory of the Principal, grant the Agent the limited power {power}, and "
        "for no other purpose.",
        "",
        f"Effective from: {_day(principal, start)}",
        f"Expires: {_day(principal, expires)}",
        "",
        "The Agent may not delegate this power. Any act outside it does not bind the Principal. The Agent "
        "must keep records of every transaction carried out under this authority and report monthly to the "
        "Principal's finance director.",
        "",
        "This power is revoked automatically if the Agent ceases to be employed by or engaged with the "
        "Principal.",
        "",
        f"Signed on {_day(principal, signed)} by {signer} for {principal.name}.",
        "Notarised: registered in the notary's register under the date above.",
    ]
    name = f"special-poa-{slug(attorney)}-{signed.year}.txt"
    summary = (
        f"Limited power of attorney from {principal.name} authorising {attorney} {power}, valid from "
        f"{fmt_date(start, 'uk')} until {fmt_date(expires, 'uk')}."
    )
    return _doc(
        signed,
        "power_of_attorney",
        "limited-form",
        name,
        "\n".join(lines),
        _poa_fields(principal, attorney, signed, start, False),
        summary,
        _poa_qa(principal, attorney, expires),
    )


def poa_letter(rng: random.Random, index: int) -> Doc:
    principal, attorney, signer, signed, expires = _poa_parties(rng)
    addressee = pick_parties(rng, 2)
    target = addressee[0] if addressee[0] != principal else addressee[1]
    power = rng.choice(POWERS).replace("the Principal's", "our").replace("the Principal", "us")
    body = [
        f"<p>{principal.name}<br>{principal.address_inline()}</p>",
        f"<p>{_day(principal, signed)}</p>",
        f"<p>To: {target.name}</p>",
        "<h1>Letter of Authority</h1>",
        f"<p>To whom it may concern,</p><p>We, {escape(principal.name)}, hereby authorise "
        f"{escape(attorney)} to act on our behalf, namely {escape(power)}.</p>",
        f"<p>This authority is valid from the date of this letter until {_day(principal, expires)}. Please "
        f"accept instructions from {escape(attorney)} as if they came from us directly, and contact "
        "the undersigned if you need to verify this letter.</p>",
        "<p>A specimen signature of the authorised person is attached. We will tell you in writing if this "
        "authority is withdrawn before its expiry date.</p>",
        f"<p>Yours faithfully,<br>{escape(signer)}<br>Director, {escape(principal.name)}</p>",
    ]
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>Letter of authority</title></head>',
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )
    name = f"letter-of-authority-{slug(principal.short)}.html"
    summary = (
        f"Letter of authority in which {principal.name} authorises {attorney} to act on its behalf until "
        f"{fmt_date(expires, 'uk')}."
    )
    return _doc(
        signed,
        "power_of_attorney",
        "letter-of-authority",
        name,
        text,
        _poa_fields(principal, attorney, signed, signed, False),
        summary,
        _poa_qa(principal, attorney, expires),
    )


# --- court notices --------------------------------------------------------------------------------


def _court_case(rng: random.Random) -> tuple[Party, Party, str, str, dt.date]:
    claimant, defendant = pick_parties(rng)
    court = rng.choice(COURTS[defendant.country])
    issued = rand_date(rng)
    if defendant.country == "US":
        number = f"CV-{issued.year}-{rng.randrange(1000, 99999):06d}"
    elif defendant.country in ("GB", "IE"):
        office = rng.choice(["LS", "WM", "AV", "KB"])
        number = f"{rng.choice('KLMH')}{rng.randrange(10, 99)}{office}{rng.randrange(100, 999)}"
    else:
        number = f"{rng.randrange(1, 40)} C {rng.randrange(100, 999)}/{issued.year % 100:02d}"
    return claimant, defendant, court, number, issued


def _court_fields(
    court: str, defendant: Party, number: str, issued: dt.date, due: dt.date | None, **extra: Any
) -> dict[str, Any]:
    fields = empty_fields()
    fields.update(
        document_number=number,
        document_date=issued.isoformat(),
        due_date=due.isoformat() if due else None,
        party_issuer=court,
        party_recipient=defendant.name,
    )
    fields.update(extra)
    return fields


def court_hearing(rng: random.Random, index: int) -> Doc:
    claimant, defendant, court, number, issued = _court_case(rng)
    hearing = issued + dt.timedelta(days=rng.randint(28, 90))
    time = rng.choice(("10:00 am", "10:30 am", "2:00 pm"))
    lines = [
        f"# {court}",
        "",
        f"**Claim No. {number}**",
        "",
        f"Between **{claimant.name}** (Claimant) and **{defendant.name}** (Defendant)",
        "",
        "## NOTICE OF HEARING",
        "",
        f"TAKE NOTICE that the claim will be heard at {court} on {_day(defendant, hearing)} at "
        f"{time}, with a "
        f"time estimate of {rng.choice(('one hour', 'half a day', 'one day'))}.",
        "",
        "The hearing will be a "
        + rng.choice(
            [
                "case management conference",
                "small claims hearing",
                "final hearing",
                "hearing of the Claimant's application for summary judgment",
            ]
        )
        + ". The parties must file and serve any documents they intend to rely on no later than 14 days "
        "before the hearing.",
        "",
        "If you do not attend, the court may make an order in your absence.",
        "",
        f"Dated {_day(defendant, issued)}.",
        "",
        f"To: {defendant.name}, {defendant.address_inline()}",
        "",
        "The court office is open between 10 am and 4 pm Monday to Friday. When corresponding with "
        "the court, "
        "please address forms or letters to the Court Manager and quote the claim number.",
    ]
    name = f"notice-of-hearing-{slug(number)}.md"
    summary = (
        f"Notice from {court} that claim {number}, {claimant.name} against {defendant.name}, will be "
        f"heard on {fmt_date(hearing, 'uk')} at {time}."
    )
    qa = [
        _qa(
            f"When is the hearing in claim {number}?",
            f"{fmt_date(hearing, 'uk')} at {time}",
            list(dict.fromkeys([_day(defendant, hearing), fmt_date(hearing, "iso")])),
        )
    ]
    return _doc(
        issued,
        "court_notice",
        "notice-of-hearing",
        name,
        "\n".join(lines),
        _court_fields(court, defendant, number, issued, None),
        summary,
        qa,
    )


def court_summons(rng: random.Random, index: int) -> Doc:
    claimant, defendant, court, number, issued = _court_case(rng)
    respond = issued + dt.timedelta(days=rng.choice((14, 21, 28)))
    locale = claimant.locale if claimant.locale.currency == defendant.locale.currency else defendant.locale
    claim = float(rng.randrange(2500, 95000))
    costs = float(rng.randrange(90, 800))
    total = claim + costs
    lines = [
        court.upper(),
        "",
        f"CASE NUMBER: {number}",
        "",
        "SUMMONS AND PARTICULARS OF CLAIM",
        f"Issued by the {court}",
        "",
        f"Claimant: {claimant.name}, {claimant.address_inline()}",
        f"Defendant: {defendant.name}, {defendant.address_inline()}",
        "",
        f"Date of issue: {_day(defendant, issued)}",
        "",
        "Particulars:",
        "The Claimant supplied goods and services to the Defendant under invoices that remain "
        "unpaid despite "
        f"reminders. The Claimant claims {money(claim, locale)} together with interest and court fees.",
        "",
        f"Amount claimed       {money(claim, locale)}",
        f"Court fee and costs  {money(costs, locale)}",
        f"Total                {money(total, locale)}",
        "",
        "WHAT YOU MUST DO",
        f"You must respond by {_day(defendant, respond)}. You may pay the total amount, admit part of the "
        "claim, or file a defence. If you do nothing, the Claimant may ask the court to enter judgment "
        "against you without a hearing.",
        "",
        "Get advice from a solicitor, an advice agency or the court's help desk as soon as possible.",
    ]
    name = f"summons-{slug(number)}.txt"
    summary = (
        f"Summons from {court} in case {number}: {claimant.name} claims {locale.currency} "
        f"{fmt_amount(total, 'en')} from {defendant.name}, who must respond by {fmt_date(respond, 'uk')}."
    )
    qa = [
        _qa(
            f"By when must {defendant.short} respond to the summons in case {number}?",
            fmt_date(respond, "uk"),
            list(dict.fromkeys([_day(defendant, respond), fmt_date(respond, "iso")])),
        )
    ]
    fields = _court_fields(
        court, defendant, number, issued, respond, currency=locale.currency, total_amount=total
    )
    return _doc(issued, "court_notice", "summons", name, "\n".join(lines), fields, summary, qa)


def court_default(rng: random.Random, index: int) -> Doc:
    claimant, defendant, court, number, issued = _court_case(rng)
    deadline = issued + dt.timedelta(days=rng.choice((7, 14)))
    clerk = pick_person(rng)
    body = [
        f"<p><strong>{court}</strong><br>Civil Section - Office of the Clerk</p>",
        f"<p>{_day(defendant, issued)}</p>",
        f"<p>{defendant.name}<br>{defendant.address_inline()}</p>",
        f"<h1>Notice of intention to enter default judgment - case {number}</h1>",
        "<p>The court records show that you were served with the claim brought by "
        f"{escape(claimant.name)} "
        "and that no acknowledgment of service or defence has been filed.</p>",
        f"<p>Unless a defence or an application to extend time is received at this office by "
        f"{_day(defendant, deadline)}, the claimant may obtain judgment in default without further notice to "
        "you. Judgment may then be enforced against your assets.</p>",
        "<p>If you have already settled the claim, tell the court and the claimant in writing "
        "straight away.</p>",
        "<p>This is an official notice. It is not a bill and does not ask you to pay the court any "
        "money.</p>",
        f"<p>{escape(clerk)}<br>Deputy Clerk of the Court</p>",
    ]
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            f'<head><meta charset="utf-8"><title>Case {number}</title></head>',
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )
    name = f"court-letter-{slug(number)}.html"
    summary = (
        f"Letter from {court} warning {defendant.name} that default judgment may be entered in case "
        f"{number} brought by {claimant.name} unless a defence is filed by {fmt_date(deadline, 'uk')}."
    )
    qa = [
        _qa(
            f"What is the deadline to file a defence in case {number}?",
            fmt_date(deadline, "uk"),
            list(dict.fromkeys([_day(defendant, deadline), fmt_date(deadline, "iso")])),
        )
    ]
    return _doc(
        issued,
        "court_notice",
        "clerk-letter",
        name,
        text,
        _court_fields(court, defendant, number, issued, deadline),
        summary,
        qa,
    )


LAYOUTS: dict[str, list[Callable[[random.Random, int], Doc]]] = {
    "power_of_attorney": [poa_general, poa_limited, poa_letter],
    "court_notice": [court_hearing, court_summons, court_default],
}
