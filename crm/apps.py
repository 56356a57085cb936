from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self):
        from django.urls import reverse

        from crm_history.registry import EntityLinks, register_entity

        from .registry import entity_types

        for et in entity_types():

            def url(entity_id, et=et):
                return reverse("crm:detail", args=[et.slug, entity_id])

            def existing_ids(account_id, ids, et=et):
                return set(
                    et.model.objects.filter(account_id=account_id, pk__in=list(ids)).values_list(
                        "pk", flat=True
                    )
                )

            def list_url(et=et):
                return reverse("crm:list", args=[et.slug])

            register_entity(
                EntityLinks(
                    entity_type=et.entity_type,
                    label=et.label,
                    label_plural=et.label_plural,
                    url=url,
                    existing_ids=existing_ids,
                    list_url=list_url,
                )
            )
