"""Commercial documents: invoices, credit notes, purchase orders and receipts, several layouts each."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corpus_common import (
    COMPANIES,
    TRADE,
    Doc,
    Party,
    email,
    empty_fields,
    escape,
    fmt_amount,
    fmt_date,
    folder_for,
    group_iban,
    make_iban,
    make_vat,
    money,
    pick_parties,
    pick_person,
    rand_date,
    round2,
    slug,
    tidy,
    words_number,
)

Item = tuple[str, float, float, tuple[int, int]]  # description, unit price range, quantity range

ITEMS_BY_TRADE: dict[str, list[Item]] = {
    "logistics": [
        ("Freight forwarding Rotterdam - Leeds, 2 pallets", 380.0, 1250.0, (1, 3)),
        ("Refrigerated transport, per day", 310.0, 560.0, (1, 5)),
        ("Pallet storage, per pallet per week", 2.8, 5.4, (40, 400)),
        ("Pick and pack, per order line", 0.45, 1.2, (500, 4000)),
        ("Customs clearance and documentation", 65.0, 180.0, (1, 6)),
        ("Fuel surcharge", 40.0, 220.0, (1, 1)),
    ],
    "marine": [
        ("Marine engine inspection and report", 1400.0, 2900.0, (1, 1)),
        ("Hull cleaning, vessel up to 40 m", 900.0, 2100.0, (1, 2)),
        ("Technician hours, harbour rate", 85.0, 140.0, (6, 30)),
        ("Replacement impeller kit", 120.0, 340.0, (1, 4)),
        ("Mooring and launch hire, per day", 160.0, 420.0, (1, 4)),
    ],
    "design": [
        ("Brand identity workshop (half day)", 650.0, 2400.0, (1, 2)),
        ("UX research interviews", 180.0, 420.0, (4, 12)),
        ("Visual design, screens", 95.0, 240.0, (8, 40)),
        ("Illustration set, 12 spot illustrations", 900.0, 2200.0, (1, 1)),
        ("Art direction, days", 600.0, 980.0, (1, 5)),
    ],
    "interiors": [
        ("Space planning, reception and meeting rooms", 850.0, 2600.0, (1, 1)),
        ("Acoustic wall panels, supplied and fitted", 95.0, 210.0, (10, 60)),
        ("Bespoke oak reception desk", 2400.0, 5200.0, (1, 1)),
        ("Carpet tiles, per square metre fitted", 24.0, 48.0, (80, 400)),
        ("Project supervision, days", 420.0, 690.0, (2, 10)),
    ],
    "software": [
        ("Data pipeline consulting (senior engineer, day rate)", 720.0, 1150.0, (2, 10)),
        ("Cloud hosting - production cluster, monthly", 890.0, 3400.0, (1, 1)),
        ("Software licence, Analytics Pro, per seat per year", 240.0, 690.0, (5, 25)),
        ("Support and maintenance, monthly retainer", 600.0, 2400.0, (1, 3)),
        ("Dashboard development, fixed fee", 1800.0, 6400.0, (1, 1)),
    ],
    "packaging": [
        ("Corrugated shipping cartons 600x400x400, bundle of 50", 42.0, 96.0, (5, 40)),
        ("Printed food trays, pallet of 2,000", 380.0, 720.0, (2, 20)),
        ("Stretch film, 23 micron, roll", 9.5, 18.0, (20, 120)),
        ("Die-cutting tool, new design", 450.0, 1300.0, (1, 1)),
    ],
    "engineering": [
        ("Stainless steel bracket, part no. KF-2210", 3.4, 11.9, (50, 600)),
        ("CNC machining, hours", 65.0, 120.0, (5, 40)),
        ("On-site maintenance visit, technician hours", 75.0, 140.0, (3, 16)),
        ("Sensor module SM-4, calibrated", 38.0, 95.0, (10, 200)),
        ("First-article inspection report", 280.0, 650.0, (1, 2)),
    ],
    "food": [
        ("Frozen North Sea cod fillets, 10 kg case", 92.0, 140.0, (10, 80)),
        ("Smoked mackerel, 5 kg case", 38.0, 64.0, (10, 60)),
        ("Refrigerated delivery charge", 45.0, 120.0, (1, 4)),
        ("Shrimp, cooked and peeled, 2 kg", 28.0, 46.0, (10, 90)),
    ],
    "publishing": [
        ("Copy-editing, manuscript pages", 2.2, 4.8, (120, 480)),
        ("Proofreading, pages", 1.4, 3.2, (120, 480)),
        ("Printed brochures A5, 16pp, run of 1,000", 780.0, 1650.0, (1, 3)),
        ("Typesetting and layout, pages", 6.0, 14.0, (40, 320)),
        ("Banner printing, 3 x 1 m", 45.0, 120.0, (2, 20)),
    ],
    "consulting": [
        ("Legal review of supplier terms, hours", 160.0, 320.0, (2, 9)),
        ("Regulatory advice, partner hours", 280.0, 520.0, (1, 8)),
        ("Due diligence report", 2400.0, 8800.0, (1, 1)),
        ("Disbursements: court and registry fees", 40.0, 400.0, (1, 2)),
    ],
    "health": [
        ("Occupational health assessments", 85.0, 160.0, (5, 40)),
        ("Flu vaccination clinic, per dose", 14.0, 24.0, (20, 200)),
        ("Training session: safe handling of chemicals", 450.0, 980.0, (1, 2)),
        ("Physiotherapy sessions", 55.0, 95.0, (4, 24)),
    ],
    "energy": [
        ("Electricity supply, MWh", 95.0, 210.0, (20, 300)),
        ("Standing charge, monthly", 40.0, 160.0, (1, 3)),
        ("Solar panel inspection and cleaning", 380.0, 1200.0, (1, 2)),
        ("Meter replacement", 120.0, 280.0, (1, 4)),
    ],
    "events": [
        ("Venue hire, main hall, full day", 1200.0, 3100.0, (1, 2)),
        ("Catering for 40 guests, buffet menu B", 18.0, 34.0, (40, 40)),
        ("Audio-visual package with technician", 650.0, 1600.0, (1, 2)),
        ("Event staff, hours", 18.0, 32.0, (20, 120)),
    ],
    "facility": [
        ("Office cleaning, monthly contract", 420.0, 1380.0, (1, 1)),
        ("Window cleaning, external, per visit", 180.0, 460.0, (1, 4)),
        ("Replacement filter cartridges, set of 6", 28.0, 64.0, (2, 20)),
        ("Security guarding, hours", 19.0, 31.0, (40, 300)),
        ("Washroom consumables, monthly", 90.0, 260.0, (1, 3)),
    ],
    "property": [
        ("Service charge, quarter", 1800.0, 5400.0, (1, 1)),
        ("Insurance rent, quarter", 240.0, 900.0, (1, 1)),
        ("Car park licence, per space per month", 180.0, 290.0, (2, 12)),
    ],
    "biotech": [
        ("Assay development, fixed fee", 4200.0, 9800.0, (1, 1)),
        ("Sample analysis, per sample", 45.0, 130.0, (20, 200)),
        ("Cold storage of samples, per month", 220.0, 640.0, (1, 6)),
    ],
    "retail": [
        ("Shelf-space promotion, 4 weeks", 900.0, 2600.0, (1, 3)),
        ("Returned stock handling fee", 2.0, 6.5, (50, 400)),
        ("Point-of-sale display units", 35.0, 90.0, (5, 40)),
    ],
}
PAYMENT_TERMS = (14, 30, 30, 45, 60)


@dataclass
class Bill:
    """The facts behind an invoice-like document."""

    issuer: Party
    recipient: Party
    number: str
    date: dt.date
    terms: int | None
    po_number: str | None
    items: list[tuple[str, float, float, float]]  # description, qty, unit price, line total
    tax_rate: int
    reverse_charge: bool
    iban: str | None
    vat_id: str | None
    contact: str

    @property
    def subtotal(self) -> float:
        return round2(sum(item[3] for item in self.items))

    @property
    def tax(self) -> float:
        return round2(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> float:
        return round2(self.subtotal + self.tax)

    @property
    def due(self) -> dt.date | None:
        return self.date + dt.timedelta(days=self.terms) if self.terms else None

    def amount(self, value: float) -> str:
        return money(value, self.issuer.locale)

    def day(self, value: dt.date) -> str:
        return fmt_date(value, self.issuer.locale.date_style)


def _number(rng: random.Random, issuer: Party, day: dt.date, kind: str) -> str:
    initials = "".join(word[0] for word in issuer.short.split()).upper()
    styles = {
        "INV": [
            f"INV-{day.year}-{rng.randrange(1, 999):04d}",
            f"{initials}-{rng.randrange(1000, 9999)}",
            f"{day.year}/{rng.randrange(100, 999):04d}",
            f"{initials}-INV-{rng.randrange(10000, 99999)}",
        ],
        "CN": [f"CN-{day.year}-{rng.randrange(1, 300):04d}", f"{initials}-CR-{rng.randrange(100, 999)}"],
        "PO": [f"PO-{rng.randrange(40000, 49999)}", f"{initials}-PO-{day.year}-{rng.randrange(10, 999):03d}"],
        "RC": [f"R-{rng.randrange(100000, 999999)}", f"{day.strftime('%y%m%d')}-{rng.randrange(10, 99)}"],
    }
    return rng.choice(styles[kind])


GOODS_TRADES = {"packaging", "engineering", "food", "publishing", "marine", "interiors", "facility"}


def make_bill(rng: random.Random, kind: str, max_items: int = 5, force_tax: bool = False) -> Bill:
    issuer, recipient = pick_parties(rng)
    while kind == "PO" and TRADE[issuer.short] not in GOODS_TRADES:
        issuer, recipient = pick_parties(rng)  # purchase orders here are for goods and deliverable services
    day = rand_date(rng)
    trade = ITEMS_BY_TRADE[TRADE[issuer.short]]
    chosen = rng.sample(trade, rng.randint(1, min(max_items, len(trade))))
    items = []
    for description, low, high, (qmin, qmax) in chosen:
        qty = float(rng.randint(qmin, qmax))
        unit = round2(rng.uniform(low, high))
        items.append((description, qty, unit, round2(qty * unit)))
    eu = {"DE", "NL", "FR", "IE"}
    reverse = (
        not force_tax
        and issuer.country in eu
        and recipient.country in eu
        and issuer.country != recipient.country
    )
    rate = 0 if reverse else issuer.locale.vat_rate
    if issuer.country == "US":
        rate = rng.choice((0, 8))
    terms = rng.choice(PAYMENT_TERMS) if kind in ("INV", "PO") else None
    po = _number(rng, recipient, day, "PO") if kind in ("INV", "CN", "PO") and rng.random() < 0.6 else None
    return Bill(
        issuer=issuer,
        recipient=recipient,
        number=_number(rng, issuer, day, kind),
        date=day,
        terms=terms,
        po_number=po,
        items=items,
        tax_rate=rate,
        reverse_charge=reverse,
        iban=make_iban(rng, issuer.locale.iban_country) if issuer.locale.iban_country else None,
        vat_id=make_vat(rng, issuer),
        contact=pick_person(rng),
    )


def bill_fields(bill: Bill, **overrides: Any) -> dict[str, Any]:
    fields = empty_fields()
    fields.update(
        document_number=bill.number,
        document_date=bill.date.isoformat(),
        due_date=bill.due.isoformat() if bill.due else None,
        party_issuer=bill.issuer.name,
        party_recipient=bill.recipient.name,
        issuer_vat_id=bill.vat_id,
        purchase_order_number=bill.po_number,
        currency=bill.issuer.locale.currency,
        subtotal=bill.subtotal,
        tax_amount=bill.tax,
        total_amount=bill.total,
        payment_terms_days=bill.terms,
        iban=bill.iban,
    )
    fields.update(overrides)
    return fields


def _tax_label(bill: Bill) -> str:
    if bill.reverse_charge:
        return "VAT 0% (reverse charge)"
    if bill.issuer.country == "US":
        return f"Sales tax {bill.tax_rate}%"
    return f"VAT {bill.tax_rate}%"


def _md_table(bill: Bill) -> list[str]:
    rows = ["| # | Description | Qty | Unit price | Amount |", "|---|---|---:|---:|---:|"]
    for index, (description, qty, unit, total) in enumerate(bill.items, start=1):
        rows.append(f"| {index} | {description} | {qty:g} | {bill.amount(unit)} | {bill.amount(total)} |")
    return rows


def _reverse_note(bill: Bill) -> str:
    return (
        "Reverse charge: VAT to be accounted for by the recipient under Article 196 of Council "
        "Directive 2006/112/EC. Customer VAT number on file."
    )


FINE_PRINT = [
    "All prices are quoted net of any discount already agreed in writing.",
    "Title to goods passes only when payment has been received in full and in cleared funds.",
    "Please check the items against your delivery note and report any shortfall within five working days.",
    "We reserve the right to charge interest on overdue amounts at the statutory rate.",
    "Our standard terms and conditions, available on request, apply to every order.",
    "Where work was carried out on site, time sheets signed by your representative are available on request.",
    "Bank charges for international transfers are to be borne by the payer.",
    "Keep this document for your records; a copy is stored in your customer portal.",
    "Changes to your billing address or purchase order requirements should be sent to our accounts team.",
    "We are committed to paying our own suppliers promptly and appreciate the same from our customers.",
    "Electronic copies of this document have the same validity as the paper original.",
    "If you have a query, please include the document number so that we can find it quickly.",
]


def fine_print(rng: random.Random, count: int) -> list[str]:
    """A few lines of the small print real commercial documents carry, in varying order."""
    return rng.sample(FINE_PRINT, count)


BANK_NAMES = ("Harbourside Bank", "Civic Mutual Bank", "Alder Savings Bank", "Kanalbank", "Banque Meridienne")


def _summary_invoice(bill: Bill, noun: str = "Invoice") -> str:
    what = bill.items[0][0].split(",")[0].lower() if len(bill.items) == 1 else f"{len(bill.items)} line items"
    due = f", due on {fmt_date(bill.due, 'uk')}" if bill.due else ""
    return (
        f"{noun} {bill.number} from {bill.issuer.name} to {bill.recipient.name} for {what}, totalling "
        f"{bill.issuer.locale.currency} {fmt_amount(bill.total, 'en')}{due}."
    )


# --- invoices -----------------------------------------------------------------------------------


def invoice_markdown(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "INV")
    issuer, recipient = bill.issuer, bill.recipient
    lines = [f"# {issuer.name}", "", *[f"{line}  " for line in issuer.address_lines()]]
    if bill.vat_id:
        lines.append(f"VAT Reg. No.: {bill.vat_id}  ")
    lines += [f"accounts@{issuer.domain}", "", "## INVOICE", ""]
    lines += [
        f"**Invoice number:** {bill.number}  ",
        f"**Invoice date:** {bill.day(bill.date)}  ",
        f"**Due date:** {bill.day(bill.due) if bill.due else 'on receipt'}  ",
    ]
    if bill.po_number:
        lines.append(f"**Your order ref.:** {bill.po_number}  ")
    lines += [
        "",
        "**Bill to:**  ",
        f"{recipient.name}  ",
        *[f"{line}  " for line in recipient.address_lines()],
    ]
    lines += ["", *_md_table(bill), ""]
    lines += [
        f"| | | | Subtotal | {bill.amount(bill.subtotal)} |",
        f"| | | | {_tax_label(bill)} | {bill.amount(bill.tax)} |",
        f"| | | | **Total due** | **{bill.amount(bill.total)}** |",
        "",
        "### Payment",
        "",
        f"Payment terms: {bill.terms} days net. Please quote {bill.number} as the payment reference.",
    ]
    if bill.iban:
        lines.append(f"Bank: {rng.choice(BANK_NAMES)} - IBAN {group_iban(bill.iban)}")
    if bill.reverse_charge:
        lines += ["", _reverse_note(bill)]
    lines += [
        "",
        rng.choice(
            [
                "Late payments may attract statutory interest and a fixed recovery charge.",
                "Questions about this invoice? Reply to the address above within 10 days of receipt.",
                "Thank you for your business. Goods remain our property until paid in full.",
            ]
        ),
        "",
        f"Prepared by {bill.contact}, {issuer.short} accounts team.",
    ]
    return _doc(bill, "invoice", "markdown-table", "\n".join(lines), index, "md")


def invoice_plaintext(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "INV", force_tax=True)
    issuer, recipient = bill.issuer, bill.recipient
    width = 72
    out = [issuer.name.upper().center(width), issuer.address_inline().center(width)]
    if bill.vat_id:
        out.append(f"VAT {bill.vat_id}".center(width))
    out += ["", "TAX INVOICE".center(width), "=" * width]
    out += [
        f"Invoice No : {bill.number}",
        f"Date       : {fmt_date(bill.date, 'slash' if issuer.country != 'US' else 'us')}",
        f"Customer   : {recipient.name}",
        f"             {recipient.address_inline()}",
    ]
    if bill.po_number:
        out.append(f"PO Number  : {bill.po_number}")
    out += ["-" * width, f"{'DESCRIPTION':<44}{'QTY':>6}{'PRICE':>10}{'TOTAL':>12}", "-" * width]
    style = issuer.locale.number_style
    for description, qty, unit, total in bill.items:
        out.append(
            f"{description[:43]:<44}{qty:>6g}{fmt_amount(unit, style):>10}{fmt_amount(total, style):>12}"
        )
    out += [
        "-" * width,
        f"{'NET':>60}{fmt_amount(bill.subtotal, style):>12}",
        f"{_tax_label(bill).upper():>60}{fmt_amount(bill.tax, style):>12}",
        f"{'TOTAL ' + issuer.locale.currency:>60}{fmt_amount(bill.total, style):>12}",
        "=" * width,
        "",
        f"Terms: payment within {words_number(bill.terms or 30)} days of the invoice date.",
    ]
    if bill.due:
        out.append(f"Please pay by {fmt_date(bill.due, issuer.locale.date_style)}.")
    if bill.iban:
        out.append(f"Remit to IBAN: {bill.iban}")
    out += [
        "",
        rng.choice(
            [
                "All goods were delivered in accordance with the delivery note attached to the consignment.",
                "Services were performed at the customer's premises during the period stated above.",
                "Any discrepancies must be notified in writing within seven days.",
            ]
        ),
        *fine_print(rng, 2),
        f"{issuer.name}, registered office as above. This invoice is valid without signature.",
        f"Enquiries: {email(bill.contact, issuer)}",
    ]
    return _doc(bill, "invoice", "plain-text-columns", "\n".join(out), index, "txt")


def invoice_email(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "INV", max_items=3)
    issuer, recipient = bill.issuer, bill.recipient
    forwarder = pick_person(rng, (bill.contact,))
    sent = bill.date + dt.timedelta(days=rng.randint(0, 2))
    greeting = rng.choice(["Dear Accounts Team,", "Hello,", f"Dear {recipient.short} team,"])
    body = [
        f"From: {forwarder} <{email(forwarder, recipient)}>",
        f"To: ap-inbox@{recipient.domain}",
        f"Subject: Fwd: Invoice {bill.number} - {issuer.short}",
        "",
        "Forwarding for processing - please book against the usual cost centre. Thanks!",
        "",
        "---------- Forwarded message ---------",
        f"From: {bill.contact} <{email(bill.contact, issuer)}>",
        f"Date: {fmt_date(sent, 'us' if issuer.country == 'US' else 'uk')}",
        f"Subject: Invoice {bill.number}",
        "",
        greeting,
        "",
        f"Invoice to: {recipient.name}, {recipient.address_inline()}",
        "",
        rng.choice(
            [
                f"Please find below our invoice {bill.number} dated {bill.day(bill.date)} for the work "
                "completed last month.",
                f"As agreed, here is invoice {bill.number} (issued {bill.day(bill.date)}). We have listed "
                "the charges in the body of this e-mail because our PDF generator is being upgraded.",
                f"Thank you for choosing {issuer.name}. Our invoice {bill.number}, dated "
                f"{bill.day(bill.date)}, is set out below.",
            ]
        ),
        "",
    ]
    for description, qty, unit, total in bill.items:
        body.append(f"  * {description}: {qty:g} x {bill.amount(unit)} = {bill.amount(total)}")
    tax_sentence = (
        "No VAT is charged as the reverse-charge mechanism applies."
        if bill.reverse_charge
        else f"{_tax_label(bill)} comes to {bill.amount(bill.tax)}."
    )
    body += [
        "",
        f"That makes {bill.amount(bill.subtotal)} before tax. {tax_sentence} The amount payable is "
        f"{bill.amount(bill.total)}.",
    ]
    if bill.po_number:
        body.append(f"This relates to your purchase order {bill.po_number}.")
    pay = (
        f"Kindly settle within {bill.terms} days, i.e. by {bill.day(bill.due)}" if bill.due else "Kindly pay"
    )
    if bill.iban:
        pay += f", by transfer to IBAN {group_iban(bill.iban)}"
    body += [
        pay + ".",
        f"Our VAT registration number is {bill.vat_id}." if bill.vat_id else "",
        "",
        "If anything looks wrong, just reply and we will issue a corrected invoice.",
        "",
        "Kind regards,",
        bill.contact,
        issuer.name,
        issuer.address_inline(),
    ]
    text = "\n".join(body)
    return _doc(bill, "invoice", "forwarded-email", text, index, "txt")


def _html_page(title: str, body: list[str]) -> str:
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


def _html_rows(bill: Bill) -> list[str]:
    rows = ["<table>", "<tr><th>Item</th><th>Quantity</th><th>Unit</th><th>Line total</th></tr>"]
    for description, qty, unit, total in bill.items:
        rows.append(
            f"<tr><td>{escape(description)}</td><td>{qty:g}</td><td>{bill.amount(unit)}</td>"
            f"<td>{bill.amount(total)}</td></tr>"
        )
    rows += [
        f'<tr><td colspan="3">Net amount</td><td>{bill.amount(bill.subtotal)}</td></tr>',
        f'<tr><td colspan="3">{_tax_label(bill)}</td><td>{bill.amount(bill.tax)}</td></tr>',
        f'<tr><td colspan="3"><strong>Invoice total</strong></td><td><strong>{bill.amount(bill.total)}'
        "</strong></td></tr>",
        "</table>",
    ]
    return rows


def invoice_html(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "INV")
    issuer, recipient = bill.issuer, bill.recipient
    body = [
        f"<header><h1>{issuer.name}</h1><p>{issuer.address_inline()}<br>"
        + (f"VAT ID {bill.vat_id}" if bill.vat_id else f"Tax contact: {email(bill.contact, issuer)}")
        + "</p></header>",
        "<h2>Invoice</h2>",
        "<dl>",
        f"<dt>Number</dt><dd>{bill.number}</dd>",
        f"<dt>Issued</dt><dd>{fmt_date(bill.date, 'iso')}</dd>",
        f"<dt>Payable by</dt><dd>{fmt_date(bill.due, 'iso') if bill.due else 'on receipt'}</dd>",
        f"<dt>Customer</dt><dd>{recipient.name}, {recipient.address_inline()}</dd>",
    ]
    if bill.po_number:
        body.append(f"<dt>Customer PO</dt><dd>{bill.po_number}</dd>")
    body += ["</dl>", *_html_rows(bill)]
    notes = [f"Net {bill.terms} days from the invoice date."]
    if bill.iban:
        notes.append(f"Pay to IBAN {group_iban(bill.iban)}, reference {bill.number}.")
    if bill.reverse_charge:
        notes.append(_reverse_note(bill))
    notes.append(
        rng.choice(
            [
                "This invoice covers services delivered under our standard terms of business.",
                "Invoices not disputed within 14 days are deemed accepted.",
                "Please update your supplier records: our bank details changed on 1 January.",
            ]
        )
    )
    notes += fine_print(rng, 3)
    body += ["<section><h3>Notes</h3>", *[f"<p>{escape(note)}</p>" for note in notes], "</section>"]
    body.append(
        f"<footer><p>{issuer.name} - generated by our billing portal for {recipient.short}</p></footer>"
    )
    return _doc(bill, "invoice", "html-portal", _html_page(f"Invoice {bill.number}", body), index, "html")


# --- credit notes -------------------------------------------------------------------------------

CREDIT_REASONS = [
    "goods returned as damaged in transit",
    "a pricing error on the original invoice",
    "a volume rebate agreed for the quarter",
    "services not delivered as scheduled",
    "a duplicate charge on the original invoice",
]


def _original_invoice(rng: random.Random, bill: Bill) -> str:
    return f"INV-{bill.date.year}-{rng.randrange(1, 999):04d}"


def credit_markdown(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "CN", max_items=2)
    original, reason = _original_invoice(rng, bill), rng.choice(CREDIT_REASONS)
    issuer, recipient = bill.issuer, bill.recipient
    lines = [
        f"# Credit Note {bill.number}",
        "",
        f"**{issuer.name}**, {issuer.address_inline()}" + (f" - VAT {bill.vat_id}" if bill.vat_id else ""),
        "",
        f"Credit note date: {bill.day(bill.date)}  ",
        f"Customer: {recipient.name}  ",
        f"Relates to invoice: {original}  ",
    ]
    if bill.po_number:
        lines.append(f"Customer order: {bill.po_number}  ")
    lines += [
        "",
        f"We have credited your account for {reason}. The credit below reduces the balance owed on "
        f"invoice {original}; it is not a request for payment.",
        "",
        *_md_table(bill),
        "",
        f"- Credit net: {bill.amount(bill.subtotal)}",
        f"- {_tax_label(bill)} credited: {bill.amount(bill.tax)}",
        f"- **Total credit: {bill.amount(bill.total)}**",
        "",
        rng.choice(
            [
                "The credit will be offset against your next invoice unless you ask for a refund.",
                "If the original invoice has already been paid, we will refund the amount within 10 "
                "working days.",
            ]
        ),
        "",
        f"Issued by {bill.contact} ({email(bill.contact, issuer)}).",
    ]
    fields = bill_fields(bill, iban=None)
    summary = (
        f"Credit note {bill.number} from {issuer.name} to {recipient.name} credits "
        f"{issuer.locale.currency} {fmt_amount(bill.total, 'en')} against invoice {original} for {reason}."
    )
    doc = _doc(bill, "credit_note", "markdown-table", "\n".join(lines), index, "md", fields, summary)
    doc.qa.append(_qa(f"Which invoice does credit note {bill.number} refer to?", original, [original]))
    return doc


def credit_letter(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "CN", max_items=1)
    original, reason = _original_invoice(rng, bill), rng.choice(CREDIT_REASONS)
    issuer, recipient = bill.issuer, bill.recipient
    attention = pick_person(rng, (bill.contact,))
    lines = [
        issuer.name,
        *issuer.address_lines(),
        "",
        bill.day(bill.date),
        "",
        f"For the attention of {attention}",
        recipient.name,
        *recipient.address_lines(),
        "",
        f"Our reference: {bill.number}",
        "",
        f"Dear {attention.split()[0]},",
        "",
        f"Re: credit against invoice {original}",
        "",
        f"Following our conversation last week, I confirm that we have raised credit note {bill.number} in "
        f'your favour. The credit is for {reason}, concerning "{bill.items[0][0]}"'
        + (f" supplied under your purchase order {bill.po_number}." if bill.po_number else "."),
        "",
        f"The net amount credited is {bill.amount(bill.subtotal)}, plus {bill.amount(bill.tax)} "
        f"{'VAT' if bill.issuer.country != 'US' else 'tax'}, so {bill.amount(bill.total)} in total. "
        f"Your statement will show invoice {original} reduced by that amount.",
        "",
        "There is nothing for you to pay in respect of this letter. Please keep it with your VAT records"
        + (f"; our VAT number is {bill.vat_id}." if bill.vat_id else "."),
        "",
        "With apologies for the inconvenience,",
        "",
        bill.contact,
        rng.choice(["Credit Control", "Customer Accounts", "Finance"]),
        issuer.name,
    ]
    fields = bill_fields(bill, iban=None)
    summary = (
        f"Letter from {issuer.name} confirming credit note {bill.number} of {issuer.locale.currency} "
        f"{fmt_amount(bill.total, 'en')} to {recipient.name} against invoice {original} for {reason}."
    )
    return _doc(bill, "credit_note", "letter", "\n".join(lines), index, "txt", fields, summary)


def credit_html(rng: random.Random, index: int) -> Doc:
    bill = make_bill(rng, "CN", max_items=3)
    original, reason = _original_invoice(rng, bill), rng.choice(CREDIT_REASONS)
    issuer, recipient = bill.issuer, bill.recipient
    body = [
        f"<h1>{issuer.name}</h1>",
        f"<p>{issuer.address_inline()}</p>",
        "<h2>CREDIT MEMO</h2>",
        f"<p>Memo no. <b>{bill.number}</b> &middot; Date {fmt_date(bill.date, 'iso')}"
        + (f" &middot; VAT ID {bill.vat_id}" if bill.vat_id else "")
        + "</p>",
        f"<p>Credited to: {recipient.name}<br>{recipient.address_inline()}</p>",
        f"<p>Adjustment to invoice {original}"
        + (f" (PO {bill.po_number})" if bill.po_number else "")
        + "</p>",
        *_html_rows(bill),
        f"<p>Reason for credit: {escape(reason)}.</p>",
        "<p>Negative balance carried forward to your account. No payment is required.</p>",
        *[f"<p>{line}</p>" for line in fine_print(rng, 3)],
        f"<p>Contact: {bill.contact}, {email(bill.contact, issuer)}</p>",
    ]
    text = _html_page(f"Credit memo {bill.number}", body).replace("Invoice total", "Total credited")
    fields = bill_fields(bill, iban=None)
    summary = _summary_invoice(bill, "Credit memo").replace(
        ", totalling", f" against invoice {original}, totalling"
    )
    return _doc(bill, "credit_note", "html-memo", text, index, "html", fields, summary)


# --- purchase orders ----------------------------------------------------------------------------


def _po_bill(rng: random.Random, max_items: int = 5) -> tuple[Bill, dt.date]:
    bill = make_bill(rng, "PO", max_items=max_items, force_tax=True)
    # On a purchase order the buyer issues: swap roles and give the number to the buyer.
    bill.issuer, bill.recipient = bill.recipient, bill.issuer
    bill.number = _number(rng, bill.issuer, bill.date, "PO")
    bill.po_number = bill.number
    bill.vat_id = make_vat(rng, bill.issuer)
    bill.tax_rate = bill.issuer.locale.vat_rate if bill.issuer.country != "US" else 0
    bill.reverse_charge = False
    bill.iban = None
    return bill, bill.date + dt.timedelta(days=rng.randint(7, 40))


def _po_fields(bill: Bill) -> dict[str, Any]:
    return bill_fields(bill, due_date=None, iban=None)


def po_markdown(rng: random.Random, index: int) -> Doc:
    bill, delivery = _po_bill(rng)
    buyer, supplier = bill.issuer, bill.recipient
    lines = [
        f"# PURCHASE ORDER {bill.number}",
        "",
        f"**Buyer:** {buyer.name}, {buyer.address_inline()}  ",
        f"**VAT no.:** {bill.vat_id}  "
        if bill.vat_id
        else f"**Buyer contact:** {email(bill.contact, buyer)}  ",
        f"**Supplier:** {supplier.name}, {supplier.address_inline()}  ",
        f"**Order date:** {bill.day(bill.date)}  ",
        f"**Deliver by:** {bill.day(delivery)}  ",
        f"**Deliver to:** Goods-in, {buyer.street}, {buyer.city}",
        "",
        *_md_table(bill),
        "",
        f"Order value excl. tax: {bill.amount(bill.subtotal)}; {_tax_label(bill)}: {bill.amount(bill.tax)}; "
        f"order total: {bill.amount(bill.total)}.",
        "",
        "## Conditions",
        "",
        f"1. Quote PO number {bill.number} on every delivery note and invoice; invoices without it will be "
        "returned unpaid.",
        f"2. Payment {bill.terms} days from receipt of a valid invoice.",
        "3. Partial deliveries only with the buyer's written consent.",
        "4. "
        + rng.choice(
            [
                "Our general purchasing conditions apply; the supplier's terms are excluded.",
                "Goods must be packed on EUR pallets and labelled with the PO line number.",
                "Certificates of conformity must accompany each consignment.",
            ]
        ),
        "",
        f"Authorised by {bill.contact}, {rng.choice(['Head of Procurement', 'Purchasing Manager', 'Buyer'])}",
    ]
    doc = _doc(
        bill,
        "purchase_order",
        "markdown-form",
        "\n".join(lines),
        index,
        "md",
        _po_fields(bill),
        _po_summary(bill, delivery),
    )
    doc.qa.append(
        _qa(
            f"By what date must the goods on purchase order {bill.number} be delivered?",
            fmt_date(delivery, "uk"),
            _date_forms(delivery, bill.issuer.locale.date_style),
        )
    )
    return doc


def _po_summary(bill: Bill, delivery: dt.date) -> str:
    return (
        f"Purchase order {bill.number} from {bill.issuer.name} to {bill.recipient.name} for "
        f"{len(bill.items)} item line{'s' if len(bill.items) > 1 else ''} worth "
        f"{bill.issuer.locale.currency} "
        f"{fmt_amount(bill.total, 'en')}, to be delivered by {fmt_date(delivery, 'uk')}."
    )


def po_email(rng: random.Random, index: int) -> Doc:
    bill, delivery = _po_bill(rng, max_items=2)
    buyer, supplier = bill.issuer, bill.recipient
    rep = pick_person(rng, (bill.contact,))
    lines = [
        f"From: {bill.contact} <{email(bill.contact, buyer)}>",
        f"To: {rep} <{email(rep, supplier)}>",
        f"Subject: Order confirmation - our PO {bill.number}",
        "",
        f"Hi {rep.split()[0]},",
        "",
        rng.choice(
            [
                "Thanks for the quote last week. We'd like to go ahead with the following:",
                "Following our call, please treat this e-mail as our formal order:",
                "We are happy with your revised prices and place the order below.",
            ]
        ),
        "",
    ]
    for description, qty, unit, total in bill.items:
        lines.append(f"- {qty:g} x {description} at {bill.amount(unit)} each ({bill.amount(total)})")
    lines += [
        "",
        f"Net {bill.amount(bill.subtotal)}, tax {bill.amount(bill.tax)}, total {bill.amount(bill.total)}.",
        f"We need everything on site by {bill.day(delivery)} at the latest.",
        f"Our payment run is {bill.terms} days after we receive your invoice. Please put {bill.number} on it "
        "so accounts can match it.",
        f"Invoice address: {buyer.name}, {buyer.address_inline()}"
        + (f" (VAT {bill.vat_id})" if bill.vat_id else "")
        + ".",
        "",
        "Could you confirm the order and the delivery slot by return? Deliveries are accepted on weekdays "
        "between 7am and 3pm only; the driver should report to the gatehouse first.",
        "",
        "Best,",
        bill.contact,
        f"Purchasing, {buyer.short}",
        "",
        f"Order date: {bill.day(bill.date)}",
        f"Supplier account: {supplier.name}",
    ]
    return _doc(
        bill,
        "purchase_order",
        "email-order",
        "\n".join(lines),
        index,
        "txt",
        _po_fields(bill),
        _po_summary(bill, delivery),
    )


def po_html(rng: random.Random, index: int) -> Doc:
    bill, delivery = _po_bill(rng)
    buyer, supplier = bill.issuer, bill.recipient
    body = [
        f"<h1>{buyer.name} &mdash; Purchase Order</h1>",
        "<table>",
        f"<tr><th>PO number</th><td>{bill.number}</td></tr>",
        f"<tr><th>PO date</th><td>{fmt_date(bill.date, 'iso')}</td></tr>",
        f"<tr><th>Vendor</th><td>{supplier.name}</td></tr>",
        f"<tr><th>Ship to</th><td>{buyer.address_inline()}</td></tr>",
        f"<tr><th>Requested delivery</th><td>{fmt_date(delivery, 'iso')}</td></tr>",
        f"<tr><th>Terms</th><td>Net {bill.terms}</td></tr>",
        "</table>",
        *_html_rows(bill),
        "<ol>",
        "<li>This order is subject to the buyer's standard terms and conditions of purchase.</li>",
        "<li>Price variations are not accepted without a revised purchase order.</li>",
        "<li>Please acknowledge this order within two working days.</li>",
        "<li>Delivery notes must show the PO number and line numbers; goods without them may be "
        "refused.</li>",
        "<li>The buyer may cancel undelivered lines without charge if the delivery date is missed.</li>",
        "</ol>",
        f"<p>Buyer VAT ID: {bill.vat_id}</p>" if bill.vat_id else "<p>Buyer is tax exempt for resale.</p>",
        f"<p>Approved by {bill.contact}</p>",
    ]
    text = _html_page(f"PO {bill.number}", body).replace("Invoice total", "PO total")
    return _doc(
        bill, "purchase_order", "html-erp", text, index, "html", _po_fields(bill), _po_summary(bill, delivery)
    )


# --- receipts -----------------------------------------------------------------------------------

ShopItem = tuple[str, float]
MERCHANTS: dict[str, list[tuple[Party, list[ShopItem]]]] = {
    "till": [
        (
            Party(
                "Papercourt Office Supplies Ltd",
                "Papercourt",
                "GB",
                "21 Briggate",
                "Leeds",
                "LS1 6HD",
                "papercourt.example.co.uk",
            ),
            [
                ("A4 copier paper, 5 reams", 24.99),
                ("Toner cartridge black", 68.5),
                ("Whiteboard markers (10)", 9.95),
                ("Lever arch files (10)", 17.4),
                ("Desk stapler", 12.99),
            ],
        ),
        (
            Party(
                "Kettle and Crumb Cafe Ltd",
                "Kettle and Crumb",
                "IE",
                "5 Dame Lane",
                "Dublin 2",
                "D02 XK70",
                "kettleandcrumb.example.ie",
            ),
            [
                ("Flat white", 3.6),
                ("Chicken and pesto sandwich", 7.95),
                ("Team lunch platter", 48.0),
                ("Carrot cake slice", 4.5),
                ("Sparkling water", 2.2),
            ],
        ),
        (
            Party(
                "Kornfeld Backhaus GmbH",
                "Kornfeld",
                "DE",
                "Marktstraße 8",
                "Freiburg im Breisgau",
                "79098",
                "kornfeld-backhaus.example.de",
            ),
            [
                ("Coffee to go", 2.9),
                ("Pretzel", 1.3),
                ("Sandwich tray, 20 pieces", 54.0),
                ("Apple strudel", 3.8),
            ],
        ),
    ],
    "email": [
        (
            Party(
                "Clearpath Cloud Tools Inc.",
                "Clearpath",
                "US",
                "88 Market Street, Suite 900",
                "San Francisco, CA",
                "94105",
                "clearpath-tools.example.com",
            ),
            [
                ("Team plan, monthly, 10 seats", 120.0),
                ("Extra storage, 100 GB", 15.0),
                ("Priority support add-on", 49.0),
            ],
        ),
        (
            Party(
                "Deskware Online B.V.",
                "Deskware",
                "NL",
                "Stationsplein 12",
                "Eindhoven",
                "5611 AC",
                "deskware.example.nl",
            ),
            [
                ("USB-C docking station", 139.0),
                ("Ergonomic desk chair", 289.0),
                ("Monitor arm", 59.0),
                ("Noise-cancelling headset", 119.0),
            ],
        ),
        (
            Party(
                "Tessera Events Ticketing Ltd",
                "Tessera",
                "GB",
                "3 Wharf Road",
                "Bristol",
                "BS1 5SH",
                "tessera-tickets.example.co.uk",
            ),
            [("Conference ticket, DataOps Summit", 395.0), ("Workshop add-on", 120.0), ("Booking fee", 4.5)],
        ),
    ],
    "html": [
        (
            Party(
                "Harbourlight Hotel Ltd",
                "Harbourlight",
                "GB",
                "1 Pier Head",
                "Liverpool",
                "L3 1BY",
                "harbourlight-hotel.example.co.uk",
            ),
            [
                ("Room, 1 night, bed and breakfast", 129.0),
                ("Dinner, restaurant", 42.5),
                ("Overnight parking", 18.0),
            ],
        ),
        (
            Party(
                "Metro Parkhaus GmbH",
                "Metro Parkhaus",
                "DE",
                "Bahnhofplatz 2",
                "Köln",
                "50667",
                "metro-parkhaus.example.de",
            ),
            [("Parking, 1 day", 24.0), ("Parking, weekly ticket", 95.0), ("EV charging, per session", 11.5)],
        ),
        (
            Party(
                "Taxis du Rhone SARL",
                "Taxis du Rhone",
                "FR",
                "12 cours de Verdun",
                "Lyon",
                "69002",
                "taxis-du-rhone.example.fr",
            ),
            [("Airport transfer", 46.0), ("Waiting time, per 15 min", 9.5), ("Luggage supplement", 4.0)],
        ),
    ],
}
RECEIPT_PRINT = [
    "Refunds are made to the card used for payment.",
    "Prices include VAT where shown; a VAT invoice can be requested within 30 days.",
    "Lost receipts cannot be reissued after 90 days.",
    "Keep this receipt as proof of purchase for warranty claims.",
]


def _receipt_bill(rng: random.Random, channel: str) -> Bill:
    merchant, shop = rng.choice(MERCHANTS[channel])
    day = rand_date(rng)
    items = []
    for description, price in rng.sample(shop, rng.randint(1, min(4, len(shop)))):
        qty = float(rng.randint(1, 3))
        items.append((description, qty, price, round2(qty * price)))
    return Bill(
        issuer=merchant,
        recipient=rng.choice(COMPANIES),
        number=_number(rng, merchant, day, "RC"),
        date=day,
        terms=None,
        po_number=None,
        items=items,
        tax_rate=8 if merchant.country == "US" else merchant.locale.vat_rate,
        reverse_charge=False,
        iban=None,
        vat_id=make_vat(rng, merchant),
        contact=pick_person(rng),
    )


def receipt_till(rng: random.Random, index: int) -> Doc:
    bill = _receipt_bill(rng, "till")
    issuer = bill.issuer
    style = issuer.locale.number_style
    width = 40
    card = rng.choice(["VISA", "MASTERCARD", "AMEX"])
    out = [
        issuer.short.upper().center(width),
        issuer.street.center(width),
        issuer.city.center(width),
        (f"VAT {bill.vat_id}" if bill.vat_id else "THANK YOU").center(width),
        "-" * width,
        f"RECEIPT {bill.number}",
        f"{fmt_date(bill.date, 'slash' if issuer.country != 'US' else 'us')}  "
        f"{rng.randint(8, 19):02d}:{rng.randint(0, 59):02d}",
        "-" * width,
    ]
    for description, qty, _unit, total in bill.items:
        out.append(f"{qty:g} {description[:26]:<26}{fmt_amount(total, style):>11}")
    out += [
        "-" * width,
        f"{'SUBTOTAL':<28}{fmt_amount(bill.subtotal, style):>12}",
        f"{'TAX ' + str(bill.tax_rate) + '%':<28}{fmt_amount(bill.tax, style):>12}",
        f"{'TOTAL ' + issuer.locale.currency:<28}{fmt_amount(bill.total, style):>12}",
        f"{card + ' CONTACTLESS':<28}{fmt_amount(bill.total, style):>12}",
        "-" * width,
        f"AUTH CODE {rng.randrange(100000, 999999)}   TID {rng.randrange(10000000, 99999999)}",
        "CARDHOLDER COPY - PAID IN FULL",
        "",
        "Items may be returned within 28 days with this receipt.".center(width),
        "No refunds on sale items or gift cards.".center(width),
        f"Served by: {bill.contact.split()[0]}".center(width),
        f"Registered company {issuer.name}".center(width),
        "Keep this receipt for your expense claim. The card".center(width),
        "statement alone is not accepted by most finance".center(width),
        "teams as proof of purchase.".center(width),
        "",
        "Please rate your visit on our website and enter".center(width),
        "the monthly prize draw. Terms apply.".center(width),
        "",
        f"LOYALTY POINTS EARNED: {int(bill.total)}".center(width),
        "Gift receipts are available at the service desk.".center(width),
        "Opening hours: Mon-Sat 8am-7pm, Sun 10am-4pm".center(width),
    ]
    fields = bill_fields(bill, party_recipient=None, currency=issuer.locale.currency)
    summary = (
        f"Card receipt {bill.number} from {issuer.name} dated {fmt_date(bill.date, 'uk')} for "
        f"{len(bill.items)} item{'s' if len(bill.items) > 1 else ''}, paid in full: "
        f"{issuer.locale.currency} {fmt_amount(bill.total, 'en')}."
    )
    doc = _doc(bill, "receipt", "till-slip", "\n".join(out), index, "txt", fields, summary)
    doc.qa.append(
        _qa(
            f"What was the total paid on {issuer.short} receipt {bill.number}?",
            bill.amount(bill.total),
            [fmt_amount(bill.total, style)],
        )
    )
    return doc


def receipt_email(rng: random.Random, index: int) -> Doc:
    bill = _receipt_bill(rng, "email")
    issuer, customer = bill.issuer, bill.recipient
    buyer = pick_person(rng, (bill.contact,))
    lines = [
        f"From: {issuer.short} <no-reply@{issuer.domain}>",
        f"To: {email(buyer, customer)}",
        f"Subject: Your payment receipt {bill.number}",
        "",
        f"Hi {buyer.split()[0]},",
        "",
        rng.choice(
            [
                f"We've received your payment - thank you! This is your receipt for the order placed on "
                f"{bill.day(bill.date)}.",
                f"Payment successful. Here is the receipt for your purchase of {bill.day(bill.date)}.",
            ]
        ),
        "",
        f"Receipt number: {bill.number}",
        f"Billed to: {customer.name}",
        f"Payment method: card ending {rng.randrange(1000, 9999)}",
        "",
    ]
    for description, qty, _unit, total in bill.items:
        lines.append(f"{description} (x{qty:g}) ....... {bill.amount(total)}")
    lines += [
        "",
        f"Subtotal: {bill.amount(bill.subtotal)}",
        f"{_tax_label(bill)}: {bill.amount(bill.tax)}",
        f"Amount paid: {bill.amount(bill.total)}",
        "",
        "This receipt confirms payment; no further amount is due. You do not need to pay an invoice for "
        "this order.",
        f"Seller: {issuer.name}, {issuer.address_inline()}"
        + (f". VAT ID {bill.vat_id}" if bill.vat_id else ""),
        "",
        "Need help? Reply to this e-mail or visit our help centre.",
        "Returns are accepted within 30 days of delivery in original packaging.",
        "You can download a copy of this receipt at any time from the order history in your account.",
    ]
    fields = bill_fields(bill)
    summary = (
        f"Payment receipt {bill.number} from {issuer.name} to {customer.name} confirming "
        f"{issuer.locale.currency} {fmt_amount(bill.total, 'en')} paid by card on "
        f"{fmt_date(bill.date, 'uk')}."
    )
    return _doc(bill, "receipt", "email-confirmation", "\n".join(lines), index, "txt", fields, summary)


def receipt_html(rng: random.Random, index: int) -> Doc:
    bill = _receipt_bill(rng, "html")
    issuer, customer = bill.issuer, bill.recipient
    body = [
        f"<h1>Receipt from {issuer.name}</h1>",
        f"<p>Receipt #{bill.number} &middot; Paid {fmt_date(bill.date, 'iso')}</p>",
        f"<p>Customer: {customer.name}</p>",
        *_html_rows(bill),
        "<p>Status: <strong>PAID</strong>. Settled by bank card; funds received in full.</p>",
        f"<p>{issuer.address_inline()}" + (f" &middot; VAT ID {bill.vat_id}" if bill.vat_id else "") + "</p>",
        "<p>This document is a receipt for a completed payment, not an invoice or a request for payment. "
        "Keep it for your records; it may be used as proof of purchase for warranty claims and expense "
        "reports.</p>",
        "<p>Questions about this charge? Contact our support team and quote the receipt number.</p>",
        *[f"<p>{line}</p>" for line in rng.sample(RECEIPT_PRINT, 2)],
    ]
    text = _html_page(f"Receipt {bill.number}", body).replace("Invoice total", "Amount paid")
    fields = bill_fields(bill)
    summary = (
        f"Receipt {bill.number} from {issuer.name} for {customer.name}: {issuer.locale.currency} "
        f"{fmt_amount(bill.total, 'en')} paid on {fmt_date(bill.date, 'uk')}."
    )
    return _doc(bill, "receipt", "html-receipt", text, index, "html", fields, summary)


# --- shared -------------------------------------------------------------------------------------


def _date_forms(day: dt.date, style: str) -> list[str]:
    forms = [fmt_date(day, style), fmt_date(day, "iso")]
    return list(dict.fromkeys(forms))


def _qa(question: str, answer: str, must: list[str]) -> dict[str, Any]:
    return {"question": question, "answer": answer, "must_contain": must}


def _doc(
    bill: Bill,
    category: str,
    layout: str,
    text: str,
    index: int,
    ext: str,
    fields: dict[str, Any] | None = None,
    summary: str | None = None,
) -> Doc:
    prefix = {"invoice": "inv", "credit_note": "cn", "purchase_order": "po", "receipt": "receipt"}[category]
    prefix = {
        "forwarded-email": "fwd-invoice",
        "letter": "credit-letter",
        "email-order": "order-email",
        "email-confirmation": "payment-receipt",
    }.get(layout, prefix)
    number = slug(bill.number)
    parts = (
        [number, slug(bill.issuer.short)]
        if number.split("-")[0] in prefix.split("-")
        else [prefix, number, slug(bill.issuer.short)]
    )
    name = "-".join(parts) + f".{ext}"
    doc = Doc(
        path=f"{folder_for(bill.date)}/{name}",
        category=category,
        layout=layout,
        text=tidy(text),
        fields=fields if fields is not None else bill_fields(bill),
        clauses=None,
        summary=summary or _summary_invoice(bill),
    )
    if category == "invoice" and bill.due:
        doc.qa.append(
            _qa(
                f"When is {bill.issuer.short} invoice {bill.number} due for payment?",
                fmt_date(bill.due, "uk"),
                _due_forms(bill),
            )
        )
    return doc


def _due_forms(bill: Bill) -> list[str]:
    assert bill.due is not None
    return list(dict.fromkeys([bill.day(bill.due), fmt_date(bill.due, "iso"), fmt_date(bill.due, "uk")]))


LAYOUTS: dict[str, list[Callable[[random.Random, int], Doc]]] = {
    "invoice": [invoice_markdown, invoice_plaintext, invoice_email, invoice_html],
    "credit_note": [credit_markdown, credit_letter, credit_html],
    "purchase_order": [po_markdown, po_email, po_html],
    "receipt": [receipt_till, receipt_email, receipt_html],
}
