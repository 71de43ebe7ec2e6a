"""Topic names: ``<owning service>.<event>.v<N>``. Dead letters go to ``<topic>.dlq``."""

GENERATION_REQUESTED = "batches.generation-requested.v1"
COMMUNICATIONS_GENERATED = "generator.communications-generated.v1"
DELIVERY_REQUESTED = "batches.delivery-requested.v1"
DELIVERY_REPORTED = "delivery.delivery-reported.v1"
BATCH_CLOSED = "batches.batch-closed.v1"
LETTER_RENDERED = "documents.letter-rendered.v1"

ALL = (
    GENERATION_REQUESTED,
    COMMUNICATIONS_GENERATED,
    DELIVERY_REQUESTED,
    DELIVERY_REPORTED,
    BATCH_CLOSED,
    LETTER_RENDERED,
)


def dlq(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}.dlq"
