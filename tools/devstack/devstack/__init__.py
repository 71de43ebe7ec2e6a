"""The whole system on one machine, as processes: Kafka and PostgreSQL from the project's
scripts, the mail catcher, every service (`python -m <service>`) and the demo data.

Used by `make run` / `make up` / `make down` and by the end-to-end tests::

    stack = Stack(StackConfig.for_tests(tmp_path))
    stack.start()
    ...
    stack.kill("delivery"); stack.start_service("delivery")
    stack.stop()
"""

from devstack.stack import SERVICES, Stack, StackConfig

__all__ = ["SERVICES", "Stack", "StackConfig"]
