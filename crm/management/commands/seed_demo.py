"""`manage.py seed_demo`: the demo's tenants and a week of their CRM life.

Four accounts, one per plan from Free to Professional, in four time zones, each
with an administrator and an employee, plus one helpdesk user. Every CRM
record is written through `crm.services` with a controllable clock (`now=`),
day by day over the last seven days, so the History holds a realistic week:
an import on the first day, then working-hours activity (new records, deals
moving through their stages, leads qualified, a few deletions), and in the
Professional account an employee's mass deletion of 150 contacts two days ago.

Idempotent: an account that exists is left alone; when all exist the command
says so and prints the logins again. Deterministic: each account draws from a
random generator seeded by its name, so runs at the same hour write the same week.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.actors import Actor, Source
from accounts.models import Account, Plan, Role
from accounts.services import account_create, helpdesk_user_create, user_create
from crm import services
from crm.models import (
    CompanyType,
    Contact,
    ContactType,
    DealStage,
    Employees,
    Honorific,
    Industry,
    LeadStatus,
)
from crm.models import Source as LeadSource
from crm_history.models import Event
from recovery_portal.errors import DomainError

DEMO_PASSWORD = "recovery-demo-2024"
DAYS = 7  # the History covers the last seven days (R7's window)
WORKDAY_START = time(8, 30)
WORKDAY_MINUTES = 10 * 60  # 08:30 to 18:30, local time
IMPORT_SHARE = 0.7  # of each entity type, loaded by the import on the first day
MASS_DELETION = 150  # contacts an employee deletes at once, two days ago
MASS_DELETION_AT = time(16, 42)  # local time


# --- What the demo holds --------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class Locale:
    """How names, companies, addresses and phone numbers look in one country."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    company_patterns: tuple[str, ...]  # with {last}, {word}, {kind}
    company_words: tuple[str, ...]
    company_kinds: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    address_pattern: str  # with {street}, {n}, {zip}, {city}, {a}, {b}, {c}
    phones: tuple[str, ...]  # '#' is a digit
    mobiles: tuple[str, ...]
    tld: str


def _digits(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in pattern)


@dataclass(frozen=True)
class DemoAccount:
    name: str
    plan: str
    timezone: str
    currency: str
    locale: Locale
    admin: Person
    employee: Person
    products: tuple[tuple[str, str, str], ...]  # (name, code, price)
    counts: dict[str, int]  # companies, contacts, leads, deals by the end of the week
    mass_deletion: bool = False


# fmt: off
ITALIAN = Locale(
    first_names=(
        "Giulia", "Marco", "Luca", "Francesca", "Alessandro", "Chiara", "Matteo", "Sara",
        "Andrea", "Valentina", "Davide", "Elena", "Simone", "Martina", "Federico", "Paola",
        "Stefano", "Laura", "Giorgio", "Silvia", "Roberto", "Anna", "Paolo", "Elisa", "Lorenzo",
    ),
    last_names=(
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
        "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
        "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
        "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone",
    ),
    company_patterns=("{word} {last}", "{last} {kind}", "Studio {last} & Associati"),
    company_words=("Officine", "Ceramiche", "Costruzioni", "Tipografia", "Cantine", "Hotel"),
    company_kinds=("Impianti", "Trasporti", "Arredamenti", "Serramenti", "Edilizia", "Ottica"),
    company_suffixes=("S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.r.l.s."),
    cities=("Milano", "Roma", "Torino", "Bologna", "Firenze", "Napoli", "Verona", "Padova"),
    streets=("Via Roma", "Via Garibaldi", "Corso Italia", "Via Mazzini", "Via Dante"),
    address_pattern="{street} {n}, {zip} {city}",
    phones=("+39 02 #### ####", "+39 06 #### ####", "+39 051 ### ####", "+39 011 ### ####"),
    mobiles=("+39 3## ### ####",),
    tld="it",
)

GERMAN = Locale(
    first_names=(
        "Katrin", "Jonas", "Lukas", "Anna", "Leon", "Lena", "Felix", "Sophie", "Maximilian",
        "Julia", "Paul", "Laura", "Tobias", "Sarah", "Stefan", "Nina", "Michael", "Sabine",
        "Thomas", "Claudia", "Andreas", "Petra", "Florian", "Miriam",
    ),
    last_names=(
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange",
    ),
    company_patterns=("{last} {kind}", "{word} {kind}"),
    company_words=("Nordsee", "Rhein", "Alpen", "Spree", "Elbe", "Main"),
    company_kinds=(
        "Maschinenbau", "Spedition", "Elektrotechnik", "Metallwerk", "Verpackung", "Druckerei",
        "Bau", "Handelshaus", "Kältetechnik", "Software",
    ),
    company_suffixes=("GmbH", "GmbH", "AG", "GmbH & Co. KG", "KG"),
    cities=("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig"),
    streets=("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Goethestraße", "Am Hafen"),
    address_pattern="{street} {n}, {zip} {city}",
    phones=("+49 30 #######", "+49 40 #######", "+49 89 #######", "+49 221 ######"),
    mobiles=("+49 151 ########", "+49 160 ########", "+49 171 ########"),
    tld="de",
)

AMERICAN = Locale(
    first_names=(
        "Emily", "Jake", "Michael", "Jessica", "Chris", "Ashley", "Matthew", "Sarah", "David",
        "Jennifer", "Daniel", "Amanda", "James", "Megan", "Ryan", "Lauren", "Tyler", "Rachel",
        "Kevin", "Nicole", "Brian", "Stephanie",
    ),
    last_names=(
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson",
        "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
    ),
    company_patterns=("{word} {kind}", "{word} {kind}", "{last} & Partners"),
    company_words=(
        "Summit", "Riverside", "Granite", "Lakeshore", "Pioneer", "Evergreen", "Harbor",
        "Redwood", "Keystone", "Northgate", "Ironwood",
    ),
    company_kinds=(
        "Health", "Analytics", "Manufacturing", "Logistics", "Financial", "Foods", "Software",
        "Realty", "Energy", "Media",
    ),
    company_suffixes=("Inc.", "LLC", "Corp.", "Group", "LLC"),
    cities=(
        "New York, NY", "Boston, MA", "Chicago, IL", "Austin, TX", "Denver, CO", "Seattle, WA",
        "Atlanta, GA", "Philadelphia, PA",
    ),
    streets=("Main St", "Broadway", "Market St", "Park Ave", "Elm Street", "Oak Avenue"),
    address_pattern="{n} {street}, {city} {zip}",
    phones=("+1 (212) 555-01##", "+1 (617) 555-01##", "+1 (312) 555-01##"),
    mobiles=("+1 (646) 555-01##", "+1 (857) 555-01##"),
    tld="com",
)

JAPANESE = Locale(
    first_names=(
        "Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Yuto", "Sakura", "Kaito", "Mei",
        "Riku", "Yuna", "Takumi", "Akari", "Daiki", "Mio", "Kenji", "Naoko", "Hiroshi", "Yuki",
    ),
    last_names=(
        "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
        "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue",
        "Kimura", "Hayashi", "Shimizu", "Mori",
    ),
    company_patterns=("{word} {kind}", "{last} {kind}"),
    company_words=(
        "Fuji", "Nippon", "Tokai", "Kansai", "Hikari", "Asahi", "Daiwa", "Midori", "Taiyo",
        "Yamato",
    ),
    company_kinds=(
        "Electronics", "Precision", "Trading", "Systems", "Chemicals", "Robotics", "Logistics",
        "Optics", "Heavy Industries",
    ),
    company_suffixes=("Co., Ltd.", "Co., Ltd.", "K.K.", "Corporation"),
    cities=("Tokyo", "Osaka", "Nagoya", "Yokohama", "Kyoto", "Fukuoka", "Sapporo", "Kobe"),
    streets=("Marunouchi", "Umeda", "Sakae", "Minatomirai", "Tenjin", "Shiba"),
    address_pattern="{a}-{b}-{c} {street}, {city}",
    phones=("+81 3-####-####", "+81 6-####-####", "+81 52-###-####"),
    mobiles=("+81 90-####-####", "+81 80-####-####"),
    tld="co.jp",
)
# fmt: on

ACCOUNTS = (
    DemoAccount(
        name="Verdi Arredamenti S.r.l.",
        plan=Plan.FREE,
        timezone="Europe/Rome",
        currency="EUR",
        locale=ITALIAN,
        admin=Person("giulia", "Giulia", "Verdi"),
        employee=Person("marco", "Marco", "Bianchi"),
        products=(
            ("Tavolo da pranzo in rovere", "TAV-ROV-180", "1290.00"),
            ("Sedia Milano imbottita", "SED-MIL-01", "189.00"),
            ("Divano tre posti Lucca", "DIV-LUC-3P", "1890.00"),
            ("Libreria modulare Siena", "LIB-SIE-MOD", "640.00"),
            ("Scrivania Ufficio Pro", "SCR-UFF-160", "520.00"),
            ("Armadio a due ante", "ARM-2A-NOC", "980.00"),
            ("Letto matrimoniale Venezia", "LET-VEN-160", "1150.00"),
            ("Comodino in noce", "COM-NOC-01", "230.00"),
            ("Lampada da terra Arco", "LAM-ARC-01", "310.00"),
            ("Cassettiera Siena", "CAS-SIE-04", "415.00"),
            ("Poltrona relax Capri", "POL-CAP-01", "760.00"),
            ("Tappeto in lana 200x300", "TAP-LAN-23", "540.00"),
            ("Progettazione d'interni (ora)", "SRV-PROG-H", "85.00"),
            ("Montaggio a domicilio", "SRV-MONT", "120.00"),
        ),
        counts={"company": 220, "contact": 900, "lead": 520, "deal": 460},
    ),
    DemoAccount(
        name="Hoffmann Logistik GmbH",
        plan=Plan.BASIC,
        timezone="Europe/Berlin",
        currency="EUR",
        locale=GERMAN,
        admin=Person("katrin", "Katrin", "Hoffmann"),
        employee=Person("jonas", "Jonas", "Weber"),
        products=(
            ("Palettenversand national", "PAL-NAT", "89.00"),
            ("Palettenversand EU", "PAL-EU", "169.00"),
            ("Expresszustellung 24h", "EXP-24", "39.50"),
            ("Lagerplatz pro Palette und Monat", "LAG-PAL-M", "14.90"),
            ("Kommissionierung pro Position", "KOM-POS", "0.85"),
            ("Gefahrgut-Zuschlag", "ZUS-GG", "45.00"),
            ("Containertransport Hamburg–München", "CON-HH-M", "1450.00"),
            ("Teilladung bis 8 Lademeter", "TL-8LDM", "780.00"),
            ("Zollabfertigung Export", "ZOLL-EX", "65.00"),
            ("Retourenabwicklung pro Sendung", "RET-SEN", "3.20"),
            ("Kühltransport 2–8 °C", "KUE-28", "210.00"),
        ),
        counts={"company": 250, "contact": 1000, "lead": 580, "deal": 500},
    ),
    DemoAccount(
        name="Brightwater Consulting LLC",
        plan=Plan.STANDARD,
        timezone="America/New_York",
        currency="USD",
        locale=AMERICAN,
        admin=Person("emily", "Emily", "Carter"),
        employee=Person("jake", "Jake", "Morgan"),
        products=(
            ("Strategy workshop (1 day)", "WS-STRAT-1D", "4800.00"),
            ("Sales process audit", "AUD-SALES", "9500.00"),
            ("CRM implementation package", "IMP-CRM-STD", "24000.00"),
            ("Data migration (per 10k records)", "MIG-10K", "1800.00"),
            ("Team training session", "TRN-TEAM", "2200.00"),
            ("Monthly advisory retainer", "RET-ADV-M", "6500.00"),
            ("Change management program", "CHG-PROG", "18500.00"),
            ("Executive coaching (10 hours)", "COA-EXE-10", "3900.00"),
            ("Market research report", "RES-MKT", "7200.00"),
            ("Dashboard and reporting setup", "DASH-SETUP", "5600.00"),
        ),
        counts={"company": 290, "contact": 1150, "lead": 650, "deal": 570},
    ),
    DemoAccount(
        name="Sakura Components K.K.",
        plan=Plan.PROFESSIONAL,
        timezone="Asia/Tokyo",
        currency="JPY",
        locale=JAPANESE,
        admin=Person("haruto", "Haruto", "Tanaka"),
        employee=Person("yui", "Yui", "Nakamura"),
        products=(
            ("Ceramic capacitor 10 µF, reel of 4,000", "CAP-10U-R4K", "18400"),
            ("Precision resistor kit 0.1 %", "RES-KIT-01", "9600"),
            ("N-channel MOSFET 60 V, tray of 500", "MOS-N60-T500", "42500"),
            ("Stepper motor driver board", "DRV-STP-02", "6800"),
            ("Industrial connector M12, 8-pin", "CON-M12-8", "1250"),
            ("Optical encoder 2,048 PPR", "ENC-OPT-2048", "23800"),
            ("Servo motor 400 W", "SRV-400W", "68000"),
            ("PLC I/O module, 16 channels", "PLC-IO-16", "35500"),
            ("Shielded cable, 100 m drum", "CBL-SH-100", "27000"),
            ("Power supply 24 V / 10 A", "PSU-24-10", "14200"),
            ("Proximity sensor, inductive", "SEN-IND-08", "3400"),
            ("Touch panel HMI 7 inch", "HMI-07", "52000"),
        ),
        counts={"company": 300, "contact": 1250, "lead": 680, "deal": 600},
        mass_deletion=True,
    ),
)

HELPDESK = Person("sam", "Sam", "Porter")

CUSTOM_FIELDS = (
    # (entity type, code, label, type, share of records that have a value)
    ("company", "UF_CRM_VAT_NUMBER", "VAT number", "string", 0.8),
    ("company", "UF_CRM_CREDIT_LIMIT", "Credit limit", "double", 0.5),
    ("contact", "UF_CRM_NEWSLETTER", "Newsletter opt-in", "boolean", 0.7),
    ("contact", "UF_CRM_LINKEDIN", "LinkedIn profile", "string", 0.4),
    ("lead", "UF_CRM_BUDGET_CONFIRMED", "Budget confirmed", "boolean", 0.6),
    ("deal", "UF_CRM_CONTRACT_END", "Contract end", "date", 0.5),
)

POSTS = (
    "Managing Director", "CEO", "Owner", "Sales Manager", "Purchasing Manager",
    "Office Manager", "CFO", "Head of Operations", "Account Executive", "Marketing Manager",
    "IT Manager", "Procurement Specialist", "Logistics Coordinator", "Project Manager",
)  # fmt: skip

LEAD_TITLES = (
    "Website enquiry: {product}",
    "Request for quote: {product}",
    "Trade show contact, {city}",
    "Callback request from {company}",
    "Newsletter reply: {product}",
    "Referral from {company}",
)

DEAL_TITLES = ("{product} for {company}", "{company}: annual agreement", "{company}: {product}")

STAGE_PROBABILITY = {
    DealStage.NEW: 10,
    DealStage.PREPARATION: 20,
    DealStage.PREPAYMENT_INVOICE: 40,
    DealStage.EXECUTING: 60,
    DealStage.FINAL_INVOICE: 80,
    DealStage.WON: 100,
    DealStage.LOSE: 0,
}
OPEN_STAGES = [s for s in DealStage if s not in (DealStage.WON, DealStage.LOSE)]
LEAD_NEXT = {
    LeadStatus.NEW: (LeadStatus.IN_PROCESS,),
    LeadStatus.IN_PROCESS: (LeadStatus.PROCESSED, LeadStatus.CONVERTED, LeadStatus.JUNK),
    LeadStatus.PROCESSED: (LeadStatus.CONVERTED, LeadStatus.JUNK),
}


# --- The state of one account while its week is written ------------------------------


@dataclass
class Tenant:
    """One demo account being seeded: its people, the live ids, a seeded RNG."""

    spec: DemoAccount
    account: Account
    admin: object
    employee: object
    rng: random.Random
    companies: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (title, domain)
    contacts: dict[int, int | None] = field(default_factory=dict)  # id -> company id
    leads: dict[int, str] = field(default_factory=dict)  # id -> status
    deals: dict[int, str] = field(default_factory=dict)  # id -> stage
    records: int = 0
    created: dict[str, int] = field(default_factory=dict)  # by entity type

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.spec.timezone)

    def actor(self, user, source: str = Source.PAGE) -> Actor:
        return Actor.for_user(user, source)

    def someone(self) -> object:
        # Employees do most of the daily work.
        return self.employee if self.rng.random() < 0.65 else self.admin


_TRANSLITERATE = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def _ascii(text: str) -> str:
    text = text.translate(_TRANSLITERATE)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slug(text: str) -> str:
    return "".join(c for c in _ascii(text).lower() if c.isalnum())


# --- Record values ---------------------------------------------------------------------


def _company_base(rng: random.Random, loc: Locale) -> str:
    return rng.choice(loc.company_patterns).format(
        last=rng.choice(loc.last_names),
        word=rng.choice(loc.company_words),
        kind=rng.choice(loc.company_kinds),
    )


def _address(rng: random.Random, loc: Locale) -> str:
    return loc.address_pattern.format(
        street=rng.choice(loc.streets),
        n=rng.randint(1, 180),
        zip=_digits(rng, "#####"),
        city=rng.choice(loc.cities),
        a=rng.randint(1, 5),
        b=rng.randint(1, 20),
        c=rng.randint(1, 30),
    )


def _phone(rng: random.Random, loc: Locale, *, mobile: bool = False) -> str:
    return _digits(rng, rng.choice(loc.mobiles if mobile else loc.phones))


def _company_values(t: Tenant) -> dict:
    rng, loc = t.rng, t.spec.locale
    base = _company_base(rng, loc)
    title = f"{base} {rng.choice(loc.company_suffixes)}"
    domain = f"{_slug(base)[:24]}.{loc.tld}"
    scale = 150 if t.spec.currency == "JPY" else 1
    values = {
        "title": title,
        "company_type": rng.choices(
            [CompanyType.CUSTOMER, CompanyType.SUPPLIER, CompanyType.PARTNER, CompanyType.OTHER],
            weights=[70, 15, 10, 5],
        )[0],
        "industry": rng.choice(list(Industry)),
        "employees": rng.choice(list(Employees)),
        "revenue": Decimal(rng.randrange(2, 500) * 100_000 * scale),
        "currency_id": t.spec.currency,
        "phone": _phone(rng, loc),
        "email": f"info@{domain}",
        "web": f"https://www.{domain}",
        "address": _address(rng, loc),
        "assigned_by_id": t.someone().pk,
        "custom_fields": _custom_values(t, "company"),
    }
    return values


def _contact_values(t: Tenant) -> dict:
    rng, loc = t.rng, t.spec.locale
    first, last = rng.choice(loc.first_names), rng.choice(loc.last_names)
    company_id = rng.choice(list(t.companies)) if t.companies and rng.random() < 0.85 else None
    domain = t.companies[company_id][1] if company_id else f"mail.{loc.tld}"
    local = f"{_slug(first)}.{_slug(last)}"
    return {
        "honorific": rng.choice([Honorific.MR, Honorific.MS, Honorific.MRS, Honorific.DR, ""]),
        "name": first,
        "last_name": last,
        "post": rng.choice(POSTS),
        "company_id": company_id,
        "phone": _phone(rng, loc),
        "phone_mobile": _phone(rng, loc, mobile=True) if rng.random() < 0.7 else "",
        "email": f"{local}@{domain}",
        "email_home": f"{local}{rng.randint(1, 99)}@mail.{loc.tld}" if rng.random() < 0.2 else "",
        "type_id": rng.choices(list(ContactType), weights=[70, 12, 12, 6])[0],
        "source_id": rng.choice(list(LeadSource)),
        "assigned_by_id": t.someone().pk,
        "custom_fields": _custom_values(t, "contact"),
    }


def _lead_values(t: Tenant) -> dict:
    rng, loc = t.rng, t.spec.locale
    first, last = rng.choice(loc.first_names), rng.choice(loc.last_names)
    company = _company_base(rng, loc)
    product = rng.choice(t.spec.products)
    title = rng.choice(LEAD_TITLES).format(
        product=product[0], company=company, city=rng.choice(loc.cities)
    )
    status = rng.choices(list(LeadStatus), weights=[30, 30, 15, 15, 10])[0]
    return {
        "title": title[:255],
        "name": first,
        "last_name": last,
        "company_title": f"{company} {rng.choice(loc.company_suffixes)}",
        "post": rng.choice(POSTS),
        "status_id": status,
        "opportunity": _amount(t, product) if rng.random() < 0.6 else None,
        "currency_id": t.spec.currency,
        "source_id": rng.choice(list(LeadSource)),
        "phone": _phone(rng, loc),
        "email": f"{_slug(first)}.{_slug(last)}@{_slug(company)[:20]}.{loc.tld}",
        "assigned_by_id": t.someone().pk,
        "custom_fields": _custom_values(t, "lead"),
    }


def _deal_values(t: Tenant, today: date) -> dict:
    rng = t.rng
    product = rng.choice(t.spec.products)
    # Most deals are with a contact person, and then with that person's company.
    contact_id = rng.choice(list(t.contacts)) if t.contacts and rng.random() < 0.75 else None
    company_id = t.contacts[contact_id] if contact_id else None
    if contact_id is None and t.companies and rng.random() < 0.85:
        company_id = rng.choice(list(t.companies))
    company_title = t.companies[company_id][0] if company_id else "a walk-in customer"
    stage = rng.choices(list(DealStage), weights=[20, 18, 12, 15, 10, 15, 10])[0]
    begins = today - timedelta(days=rng.randint(0, 120))
    return {
        "title": rng.choice(DEAL_TITLES).format(product=product[0], company=company_title)[:255],
        "stage_id": stage,
        "probability": STAGE_PROBABILITY[stage],
        "opportunity": _amount(t, product),
        "currency_id": t.spec.currency,
        "company_id": company_id,
        "contact_id": contact_id,
        "begindate": begins,
        "closedate": begins + timedelta(days=rng.randint(14, 150)),
        "closed": stage in (DealStage.WON, DealStage.LOSE),
        "assigned_by_id": t.someone().pk,
        "custom_fields": _custom_values(t, "deal", today=today),
    }


def _sample(rng: random.Random, mapping: dict, k: int) -> list:
    items = list(mapping.items())
    return rng.sample(items, min(k, len(items)))


def _amount(t: Tenant, product: tuple[str, str, str]) -> Decimal:
    quantity = t.rng.choice((1, 1, 2, 3, 5, 10, 20, 50))
    return (Decimal(product[2]) * quantity).quantize(Decimal("0.01"))


def _custom_values(t: Tenant, entity_type: str, today: date | None = None) -> dict:
    rng, values = t.rng, {}
    for et, code, _label, kind, share in CUSTOM_FIELDS:
        if et != entity_type or rng.random() > share:
            continue
        if code == "UF_CRM_VAT_NUMBER":
            values[code] = _digits(rng, t.spec.locale.tld[:2].upper() + "#" * 11)
        elif kind == "double":
            values[code] = str(rng.randrange(5, 250) * 1000)
        elif kind == "boolean":
            values[code] = rng.choice(("Y", "N"))
        elif kind == "date":
            values[code] = (
                (today or date.today()) + timedelta(days=rng.randint(90, 730))
            ).isoformat()
        else:
            values[code] = _digits(rng, "https://www.linkedin.com/in/########")
    return values


# --- Writing through the services --------------------------------------------------------


def _create(t: Tenant, entity_type: str, values: dict, actor: Actor, at: datetime, operation=None):
    obj = services.record_create(
        account=t.account,
        entity_type=entity_type,
        values=values,
        actor=actor,
        operation=operation,
        now=at,
    )
    t.records += 1
    t.created[entity_type] = t.created.get(entity_type, 0) + 1
    if entity_type == "company":
        t.companies[obj.pk] = (obj.title, obj.email.partition("@")[2])
    elif entity_type == "contact":
        t.contacts[obj.pk] = obj.company_id
    elif entity_type == "lead":
        t.leads[obj.pk] = obj.status_id
    elif entity_type == "deal":
        t.deals[obj.pk] = obj.stage_id
    return obj


def _update(t: Tenant, entity_type: str, record_id: int, values: dict, at: datetime):
    services.record_update(
        account=t.account,
        entity_type=entity_type,
        record_id=record_id,
        values=values,
        actor=t.actor(t.someone()),
        now=at,
    )


def _delete(t: Tenant, entity_type: str, ids: list[int], actor: Actor, at: datetime) -> int:
    result = services.records_bulk_delete(
        account=t.account, entity_type=entity_type, ids=ids, actor=actor, now=at
    )
    pool = {"company": t.companies, "contact": t.contacts, "lead": t.leads, "deal": t.deals}
    for record_id in ids:
        pool[entity_type].pop(record_id, None)
    if entity_type == "company":
        t.contacts.update({c: None for c, comp in t.contacts.items() if comp in ids})
    return result.deleted


# --- The week ------------------------------------------------------------------------------


def _local(t: Tenant, day: date, minutes: float) -> datetime:
    start = datetime.combine(day, WORKDAY_START, tzinfo=t.tz)
    return start + timedelta(minutes=minutes)


def _create_tenant(spec: DemoAccount) -> Tenant:
    account = account_create(
        name=spec.name,
        plan=spec.plan,
        timezone_name=spec.timezone,
        admin_username=spec.admin.username,
        admin_password=DEMO_PASSWORD,
    )
    admin = get_user_model().objects.get(username=spec.admin.username)
    employee = user_create(
        username=spec.employee.username,
        password=DEMO_PASSWORD,
        account=account,
        role=Role.EMPLOYEE,
        email=_email(spec.employee, spec),
    )
    _name_user(admin, spec.admin, _email(spec.admin, spec))
    _name_user(employee, spec.employee, _email(spec.employee, spec))
    return Tenant(spec=spec, account=account, admin=admin, employee=employee, rng=_rng(spec.name))


def _email(person: Person, spec: DemoAccount) -> str:
    # A reserved domain (RFC 2606): nothing the demo sends can reach anybody.
    return f"{person.username}@{_slug(spec.name.split()[0])}.example"


def _name_user(user, person: Person, email: str) -> None:
    user.first_name, user.last_name, user.email = person.first_name, person.last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])


def _rng(name: str) -> random.Random:
    return random.Random(uuid.uuid5(uuid.NAMESPACE_DNS, name).int)


def _backdate_tenant(t: Tenant, first_day: date) -> None:
    """The account and its people existed before the week began (not CRM data)."""
    since = _local(t, first_day, -60)
    Account.objects.filter(pk=t.account.pk).update(created_at=since)
    get_user_model().objects.filter(pk__in=[t.admin.pk, t.employee.pk]).update(date_joined=since)


def _seed_setup(t: Tenant, day: date) -> datetime:
    """First morning: the administrator defines the custom fields and the catalogue,
    then imports the CRM base from the old system (one operation). Returns when the
    import ended."""
    admin = t.actor(t.admin)
    at = _local(t, day, 15)
    for i, (entity_type, code, label, kind, _share) in enumerate(CUSTOM_FIELDS):
        values = {"entity_type": entity_type, "code": code, "label": label, "field_type": kind}
        _create(
            t, "custom_field", {**values, "sort": 100 + 10 * i}, admin, at + timedelta(minutes=i)
        )
    at += timedelta(minutes=12)
    for i, (name, code, price) in enumerate(t.spec.products):
        values = {
            "name": name,
            "code": code,
            "price": Decimal(price),
            "currency_id": t.spec.currency,
        }
        _create(t, "product", {**values, "sort": 100 + 10 * i}, admin, at + timedelta(minutes=i))
    importer = t.actor(t.admin, Source.IMPORT)
    operation = uuid.uuid4()
    at = _local(t, day, 60)
    step = timedelta(milliseconds=40)
    for entity_type, make in _makers(day):
        for _ in range(int(t.spec.counts[entity_type] * IMPORT_SHARE)):
            at += step
            _create(t, entity_type, make(t), importer, at, operation=operation)
    return at


def _makers(today: date):
    return (
        ("company", _company_values),
        ("contact", _contact_values),
        ("lead", _lead_values),
        ("deal", lambda t: _deal_values(t, today)),
    )


def _day_actions(
    t: Tenant, day: date, days_left: int, start: float = 0.0
) -> list[tuple[float, Callable]]:
    """The day's work as (minute of the workday, action), to be run in time order;
    nothing before minute `start` (on the first day, the import comes first)."""
    rng = t.rng

    def when() -> float:
        return rng.uniform(start, WORKDAY_MINUTES)

    weekend = day.weekday() >= 5
    actions: list[tuple[float, Callable]] = []
    # New records: what the import did not bring, spread over the remaining days.
    for entity_type, make in _makers(day):
        target = t.spec.counts[entity_type]
        made = t.created.get(entity_type, 0)
        todo = max(0, target - made) // max(1, days_left)
        if weekend:
            todo //= 4
        for _ in range(todo):
            actions.append((when(), _new(t, entity_type, make)))
    busy = 0.25 if weekend else 1.0
    for _ in range(int(rng.randint(25, 45) * busy)):
        actions.append((when(), lambda at: _advance_deal(t, at)))
    for _ in range(int(rng.randint(20, 35) * busy)):
        actions.append((when(), lambda at: _qualify_lead(t, at)))
    for _ in range(int(rng.randint(8, 15) * busy)):
        actions.append((when(), lambda at: _touch_contact(t, at)))
    for _ in range(int(rng.randint(2, 6) * busy)):
        actions.append((when(), lambda at: _drop_junk_lead(t, at)))
    if rng.random() < 0.5 * busy:
        actions.append((when(), lambda at: _drop_duplicate(t, at)))
    return actions


def _new(t: Tenant, entity_type: str, make: Callable) -> Callable:
    def action(at: datetime) -> None:
        # Some leads arrive through the API (the website's contact form).
        source = Source.API if entity_type == "lead" and t.rng.random() < 0.3 else Source.PAGE
        _create(t, entity_type, make(t), t.actor(t.someone(), source), at)

    return action


def _advance_deal(t: Tenant, at: datetime) -> None:
    open_deals = [d for d, stage in _sample(t.rng, t.deals, 40) if stage in OPEN_STAGES]
    if not open_deals:
        return
    deal_id = open_deals[0]
    stage = t.deals[deal_id]
    index = OPEN_STAGES.index(stage)
    if t.rng.random() < 0.15:
        new_stage = DealStage.LOSE
    elif index + 1 < len(OPEN_STAGES):
        new_stage = OPEN_STAGES[index + 1]
    else:
        new_stage = DealStage.WON
    values = {
        "stage_id": new_stage,
        "probability": STAGE_PROBABILITY[new_stage],
        "closed": new_stage in (DealStage.WON, DealStage.LOSE),
    }
    _update(t, "deal", deal_id, values, at)
    t.deals[deal_id] = new_stage


def _qualify_lead(t: Tenant, at: datetime) -> None:
    movable = [lead for lead, status in _sample(t.rng, t.leads, 40) if status in LEAD_NEXT]
    if not movable:
        return
    lead_id = movable[0]
    status = t.rng.choice(LEAD_NEXT[t.leads[lead_id]])
    _update(t, "lead", lead_id, {"status_id": status}, at)
    t.leads[lead_id] = status


def _touch_contact(t: Tenant, at: datetime) -> None:
    if not t.contacts:
        return
    contact_id = t.rng.choice(list(t.contacts))
    values = t.rng.choice(
        (
            {"post": t.rng.choice(POSTS)},
            {"phone": _phone(t.rng, t.spec.locale)},
            {"phone_mobile": _phone(t.rng, t.spec.locale, mobile=True)},
            {"comments": "Prefers to be called in the morning."},
        )
    )
    _update(t, "contact", contact_id, values, at)


def _drop_junk_lead(t: Tenant, at: datetime) -> None:
    junk = [lead for lead, status in _sample(t.rng, t.leads, 80) if status == LeadStatus.JUNK]
    if junk:
        _delete(t, "lead", junk[:1], t.actor(t.someone()), at)


def _drop_duplicate(t: Tenant, at: datetime) -> None:
    if t.contacts:
        _delete(t, "contact", [t.rng.choice(list(t.contacts))], t.actor(t.someone()), at)


def _mass_deletion(t: Tenant, at: datetime) -> int:
    """The story the demo tells: an employee, tidying up the contacts met at trade
    shows, selects 150 contacts and deletes them at once (the History shows who and
    when; the deals they were on lose their contact)."""
    trade_show = Contact.objects.filter(account=t.account, source_id=LeadSource.TRADE_SHOW)
    ids = list(trade_show.order_by("id").values_list("pk", flat=True)[:MASS_DELETION])
    others = sorted(set(t.contacts) - set(ids))
    ids += others[: MASS_DELETION - len(ids)]
    return _delete(t, "contact", ids, t.actor(t.employee), at)


def _minute(at: time) -> float:
    return (at.hour * 60 + at.minute) - (WORKDAY_START.hour * 60 + WORKDAY_START.minute)


def _seed_day(t: Tenant, day: date, days_left: int, now: datetime, start: float = 0.0) -> None:
    actions = _day_actions(t, day, days_left, start)
    if t.spec.mass_deletion and day == now.astimezone(t.tz).date() - timedelta(days=2):
        # R8: much data lost at once, two days ago in the afternoon.
        actions.append((_minute(MASS_DELETION_AT), lambda at: _mass_deletion(t, at)))
    actions.sort(key=lambda item: item[0])
    for minute, action in actions:
        at = _local(t, day, minute)
        if at >= now:
            break  # today: only what has happened so far
        action(at)


def _seed_week(t: Tenant, now: datetime, progress: Callable[[str], None]) -> None:
    """The import on the first morning, then one working day after another."""
    today = now.astimezone(t.tz).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    with transaction.atomic():
        _backdate_tenant(t, days[0])
        after_import = _seed_setup(t, days[0])
    for i, day in enumerate(days):
        if i > 0:
            _nightly_snapshot(t, day, now)
        start = _minute(after_import.astimezone(t.tz).time()) + 5 if i == 0 else 0.0
        with transaction.atomic():
            _seed_day(t, day, days_left=len(days) - i, now=now, start=start)
        progress(f"{t.spec.name}: {day:%a %d %b} done, {t.records:,} records written")


def _nightly_snapshot(t: Tenant, day: date, now: datetime) -> None:
    """R6: the daily backup of the account, at 02:00 of `day` in its zone, holding
    everything written before (the week is written in order, so reading it now
    is reading it as it was then)."""
    from backups.snapshots import take_snapshot

    at = datetime.combine(day, time(2, 0), tzinfo=t.tz)
    if at >= now:
        return  # tonight's backup has not happened yet
    take_snapshot(t.account, taken_for=at.astimezone(UTC).date(), record_as_of=at)


# --- The command ---------------------------------------------------------------------------


class Progress:
    """One progress line: rewritten in place on a terminal, a line per step elsewhere."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.width = 0

    def __call__(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width), ending="")
            self.stream.flush()
            self.width = len(text)
        else:
            self.stream.write(text)

    def done(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = 0
        else:
            self.stream.write(text)


class Command(BaseCommand):
    help = (
        "Create the demo: four accounts (Free, Basic, Standard, Professional) with an "
        "administrator and an employee each, a helpdesk user, and a week of CRM activity "
        "recorded in the History. Safe to run again; prints the logins."
    )

    def handle(self, *args, **options):
        missing = [spec for spec in ACCOUNTS if not Account.objects.filter(name=spec.name).exists()]
        helpdesk_missing = not get_user_model().objects.filter(username=HELPDESK.username).exists()
        if not missing and not helpdesk_missing:
            self.stdout.write("The demo data exists already; nothing to do.")
            self._print_logins()
            return
        progress = Progress(self.stdout)
        now = timezone.now()
        # The week is made up: whatever it would notify (a mass-deletion alert's
        # e-mail) is not sent; the alerts themselves are kept.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._seed(missing, helpdesk_missing, now, progress)
        self._print_logins()

    def _seed(self, missing, helpdesk_missing: bool, now: datetime, progress: Progress) -> None:
        try:
            if helpdesk_missing:
                with transaction.atomic():
                    user = helpdesk_user_create(
                        username=HELPDESK.username,
                        password=DEMO_PASSWORD,
                        email=f"{HELPDESK.username}@helpdesk.example",
                    )
                    _name_user(user, HELPDESK, user.email)
            for n, spec in enumerate(missing, start=1):
                with transaction.atomic():
                    tenant = _create_tenant(spec)
                # Each day is its own transaction: the nightly snapshots between the
                # days are taken outside any (a snapshot is one consistent read).
                _seed_week(tenant, now, lambda text, n=n: progress(f"[{n}/{len(missing)}] {text}"))
                events = Event.objects.filter(account=tenant.account).count()
                progress.done(
                    f"[{n}/{len(missing)}] {spec.name} ({Plan(spec.plan).label}, {spec.timezone}): "
                    f"{tenant.records:,} records written, {events:,} History events"
                )
        except DomainError as exc:
            raise CommandError(f"The demo could not be created: {exc.detail}") from exc

    def _print_logins(self) -> None:
        rows = [("username", "password", "role", "account", "plan")]
        for spec in ACCOUNTS:
            label = Plan(spec.plan).label
            rows.append((spec.admin.username, DEMO_PASSWORD, "administrator", spec.name, label))
            rows.append((spec.employee.username, DEMO_PASSWORD, "employee", spec.name, label))
        rows.append((HELPDESK.username, DEMO_PASSWORD, "helpdesk staff", "(all accounts)", "—"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        self.stdout.write("Demo logins (log in at http://127.0.0.1:8000/login/):")
        for row in rows:
            self.stdout.write(
                ("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
            )
        story = next(spec for spec in ACCOUNTS if spec.mass_deletion)
        self.stdout.write(
            f"\nTwo days ago {story.employee.username} deleted {MASS_DELETION} contacts of "
            f"{story.name} at once: log in as {story.admin.username} and open the History."
        )
