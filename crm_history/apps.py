from django.apps import AppConfig


class CrmHistoryConfig(AppConfig):
    name = "crm_history"
    verbose_name = "CRM History"
