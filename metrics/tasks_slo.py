import logging

from celery import shared_task

from .slo.services import evaluate_slos as evaluate_all

logger = logging.getLogger(__name__)


@shared_task
def evaluate_slos() -> str:
    outcome = evaluate_all()
    logger.info(
        "Evaluated %s SLOs, %s changed state", outcome["evaluated"], outcome["changed"]
    )
    return f"{outcome['evaluated']} evaluated, {outcome['changed']} changed"
