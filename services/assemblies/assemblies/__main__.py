"""``python -m assemblies``: run the assemblies service (HTTP API and Kafka consumers)."""

from assemblies.bootstrap import create_app
from assemblies.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
