from rest_framework.routers import DefaultRouter

from .deployments import DeploymentViewSet

router = DefaultRouter()
router.register("deployments", DeploymentViewSet, basename="deployment")

urlpatterns = router.urls
