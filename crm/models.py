"""The CRM's tables. Field names follow the CRM's own CSV columns in lower case
(domain.md). Timestamps are set by the services, never by auto_now, so that a
restored record keeps its own. Every table carries its account.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from accounts.models import Account


class Currency(models.TextChoices):
    EUR = "EUR", "Euro"
    USD = "USD", "US dollar"
    GBP = "GBP", "Pound sterling"
    CHF = "CHF", "Swiss franc"
    RUB = "RUB", "Russian rouble"
    UAH = "UAH", "Ukrainian hryvnia"
    KZT = "KZT", "Kazakh tenge"
    BRL = "BRL", "Brazilian real"
    PLN = "PLN", "Polish złoty"
    JPY = "JPY", "Japanese yen"


class Honorific(models.TextChoices):
    MR = "HNR_EN_1", "Mr."
    MRS = "HNR_EN_2", "Mrs."
    MS = "HNR_EN_3", "Ms."
    DR = "HNR_EN_4", "Dr."


class ContactType(models.TextChoices):
    CLIENT = "CLIENT", "Client"
    SUPPLIER = "SUPPLIER", "Supplier"
    PARTNER = "PARTNER", "Partner"
    OTHER = "OTHER", "Other"


class Source(models.TextChoices):
    CALL = "CALL", "Call"
    EMAIL = "EMAIL", "E-mail"
    WEB = "WEB", "Website"
    ADVERTISING = "ADVERTISING", "Advertising"
    PARTNER = "PARTNER", "Existing client"
    RECOMMENDATION = "RECOMMENDATION", "By recommendation"
    TRADE_SHOW = "TRADE_SHOW", "Trade show"
    OTHER = "OTHER", "Other"


class CompanyType(models.TextChoices):
    CUSTOMER = "CUSTOMER", "Client"
    SUPPLIER = "SUPPLIER", "Supplier"
    COMPETITOR = "COMPETITOR", "Competitor"
    PARTNER = "PARTNER", "Partner"
    OTHER = "OTHER", "Other"


class Industry(models.TextChoices):
    IT = "IT", "Information technology"
    TELECOM = "TELECOM", "Telecommunication"
    MANUFACTURING = "MANUFACTURING", "Manufacturing"
    BANKING = "BANKING", "Banking services"
    CONSULTING = "CONSULTING", "Consulting"
    FINANCE = "FINANCE", "Finance"
    GOVERNMENT = "GOVERNMENT", "Government"
    DELIVERY = "DELIVERY", "Delivery"
    ENTERTAINMENT = "ENTERTAINMENT", "Entertainment"
    NOTPROFIT = "NOTPROFIT", "Not for profit"
    OTHER = "OTHER", "Other"


class Employees(models.TextChoices):
    E1 = "EMPLOYEES_1", "fewer than 50"
    E2 = "EMPLOYEES_2", "50-250"
    E3 = "EMPLOYEES_3", "250-500"
    E4 = "EMPLOYEES_4", "over 500"


class LeadStatus(models.TextChoices):
    NEW = "NEW", "Unassigned"
    IN_PROCESS = "IN_PROCESS", "In progress"
    PROCESSED = "PROCESSED", "Processed"
    CONVERTED = "CONVERTED", "Good lead"
    JUNK = "JUNK", "Junk lead"


class DealStage(models.TextChoices):
    NEW = "NEW", "New"
    PREPARATION = "PREPARATION", "Preparing documents"
    PREPAYMENT_INVOICE = "PREPAYMENT_INVOICE", "Prepayment invoice"
    EXECUTING = "EXECUTING", "In progress"
    FINAL_INVOICE = "FINAL_INVOICE", "Final invoice"
    WON = "WON", "Deal won"
    LOSE = "LOSE", "Deal lost"


class CustomFieldEntity(models.TextChoices):
    CONTACT = "contact", "Contact"
    COMPANY = "company", "Company"
    LEAD = "lead", "Lead"
    DEAL = "deal", "Deal"


class CustomFieldType(models.TextChoices):
    STRING = "string", "Text"
    NUMBER = "double", "Number"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes/No"


def _money():
    return models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)


class CRMRecord(models.Model):
    """What every CRM table has: its own key, its account, and its timestamps."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by each table's (account, -id) index, which leads with the account.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField("created")
    updated_at = models.DateTimeField("modified")

    class Meta:
        abstract = True


class AssignedRecord(CRMRecord):
    """The four CRM entities: an assigned user, comments and custom field values."""

    # Users are never deleted (only deactivated), so the link stays valid; no
    # constraint, so that a restore never fails on it.
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsible person",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    comments = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class Company(AssignedRecord):
    title = models.CharField("company name", max_length=255)
    company_type = models.CharField(
        "company type", max_length=20, choices=CompanyType.choices, default=CompanyType.CUSTOMER
    )
    industry = models.CharField(max_length=20, choices=Industry.choices, blank=True)
    employees = models.CharField(max_length=20, choices=Employees.choices, blank=True)
    revenue = _money()
    currency_id = models.CharField(
        "currency", max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    phone = models.CharField("work phone", max_length=50, blank=True)
    email = models.EmailField("work e-mail", max_length=254, blank=True)
    web = models.CharField("website", max_length=255, blank=True)
    address = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "companies"
        indexes = [
            models.Index(fields=["account", "-id"], name="company_account_id"),
            models.Index(fields=["account", "title"], name="company_account_title"),
        ]

    def __str__(self) -> str:
        return self.title


class Contact(AssignedRecord):
    honorific = models.CharField(max_length=10, choices=Honorific.choices, blank=True)
    name = models.CharField("first name", max_length=100, blank=True)
    second_name = models.CharField("middle name", max_length=100, blank=True)
    last_name = models.CharField("last name", max_length=100, blank=True)
    post = models.CharField("position", max_length=255, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    phone = models.CharField("work phone", max_length=50, blank=True)
    phone_mobile = models.CharField("mobile phone", max_length=50, blank=True)
    email = models.EmailField("work e-mail", max_length=254, blank=True)
    email_home = models.EmailField("private e-mail", max_length=254, blank=True)
    type_id = models.CharField(
        "contact type", max_length=20, choices=ContactType.choices, default=ContactType.CLIENT
    )
    source_id = models.CharField("source", max_length=20, choices=Source.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="contact_account_id"),
            models.Index(fields=["account", "last_name"], name="contact_account_last_name"),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.name, self.last_name) if p) or f"Contact #{self.pk}"


class Lead(AssignedRecord):
    title = models.CharField("lead name", max_length=255)
    name = models.CharField("first name", max_length=100, blank=True)
    second_name = models.CharField("middle name", max_length=100, blank=True)
    last_name = models.CharField("last name", max_length=100, blank=True)
    company_title = models.CharField("company name", max_length=255, blank=True)
    post = models.CharField("position", max_length=255, blank=True)
    status_id = models.CharField(
        "status", max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    opportunity = _money()
    currency_id = models.CharField(
        "currency", max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    source_id = models.CharField("source", max_length=20, choices=Source.choices, blank=True)
    phone = models.CharField("work phone", max_length=50, blank=True)
    email = models.EmailField("work e-mail", max_length=254, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="lead_account_id"),
            models.Index(fields=["account", "status_id"], name="lead_account_status"),
        ]

    def __str__(self) -> str:
        return self.title


class Deal(AssignedRecord):
    title = models.CharField("deal name", max_length=255)
    category_id = models.PositiveIntegerField("pipeline", default=0)
    stage_id = models.CharField(
        "stage", max_length=30, choices=DealStage.choices, default=DealStage.NEW
    )
    probability = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    opportunity = _money()
    currency_id = models.CharField(
        "currency", max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    begindate = models.DateField("start date", null=True, blank=True)
    closedate = models.DateField("end date", null=True, blank=True)
    closed = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="deal_account_id"),
            models.Index(fields=["account", "stage_id"], name="deal_account_stage"),
        ]

    def __str__(self) -> str:
        return self.title


class Product(CRMRecord):
    """The catalogue module: restored only by a full account rollback (R13)."""

    name = models.CharField(max_length=255)
    code = models.CharField("product code", max_length=100, blank=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    currency_id = models.CharField(
        "currency", max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    active = models.BooleanField(default=True)
    sort = models.PositiveIntegerField(default=500)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="product_account_id")]

    def __str__(self) -> str:
        return self.name


class CustomField(CRMRecord):
    """A custom field definition (UF_CRM_<CODE>); values live on the records under
    the code. Restored only by a full account rollback (R13). A deleted
    definition leaves its values on the records, hidden, so that restoring the
    definition brings them back."""

    entity_type = models.CharField(max_length=10, choices=CustomFieldEntity.choices)
    code = models.CharField(
        max_length=50,
        validators=[
            RegexValidator(
                r"^UF_CRM_[A-Z0-9_]{1,43}$",
                "Use UF_CRM_ followed by capital letters, digits or underscores.",
            )
        ],
    )
    label = models.CharField(max_length=255)
    field_type = models.CharField(
        max_length=10, choices=CustomFieldType.choices, default=CustomFieldType.STRING
    )
    mandatory = models.BooleanField(default=False)
    sort = models.PositiveIntegerField(default=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "entity_type", "code"], name="custom_field_unique_code"
            )
        ]
        indexes = [models.Index(fields=["account", "entity_type"], name="custom_field_entity")]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"
