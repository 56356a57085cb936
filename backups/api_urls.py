from rest_framework.routers import SimpleRouter

from .api import SnapshotViewSet

router = SimpleRouter()
router.register("snapshots", SnapshotViewSet, basename="api-backups-snapshots")

urlpatterns = router.urls
