from .api_slo import urlpatterns as slo_urlpatterns

urlpatterns: list = []
urlpatterns += slo_urlpatterns
