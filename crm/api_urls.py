from rest_framework.routers import SimpleRouter

from .api import VIEWSETS
from .registry import entity_types

router = SimpleRouter()
for et in entity_types():
    router.register(et.slug, VIEWSETS[et.entity_type], basename=f"api-{et.slug}")

urlpatterns = router.urls
