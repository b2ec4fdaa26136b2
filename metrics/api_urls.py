from django.urls import path

from . import api
from .api_slo import urlpatterns as slo_urlpatterns
from .memory_bank import views as memory_bank

urlpatterns: list = [
    path("metrics/dora/", api.DoraMetricsView.as_view(), name="metrics-dora"),
    path("memory-bank/", memory_bank.MemoryBankIndex.as_view(), name="memory-bank"),
    path(
        "memory-bank.zip",
        memory_bank.MemoryBankArchive.as_view(),
        name="memory-bank-archive",
    ),
    path(
        "memory-bank/<str:name>",
        memory_bank.MemoryBankFile.as_view(),
        name="memory-bank-file",
    ),
]
urlpatterns += slo_urlpatterns
