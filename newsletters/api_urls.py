from rest_framework.routers import SimpleRouter

from newsletters.api import CampaignViewSet

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="api-campaign")

urlpatterns = router.urls
