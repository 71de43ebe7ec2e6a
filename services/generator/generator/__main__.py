"""``python -m generator``: run the generator service (HTTP API and Kafka consumers)."""

import gc

from generator.bootstrap import create_app
from generator.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    app = create_app(settings)
    # Rendering a chunk allocates many short-lived objects (snapshots, merge objects, texts)
    # and few cycles: collect the young generation less often, and keep the long-lived startup
    # objects out of every collection. Measured: about a third less time per chunk.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    serve(app, settings)


if __name__ == "__main__":
    main()
