from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import VIEWSETS
from .import_views import ImportAPIView
from .registry import entity_types

router = SimpleRouter()
for et in entity_types():
    router.register(et.slug, VIEWSETS[et.entity_type], basename=f"api-{et.slug}")

urlpatterns = [
    path("import/", ImportAPIView.as_view(), name="api-crm-import"),
    *router.urls,
]
