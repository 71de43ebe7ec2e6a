"""`python -m devstack run|up|down|status`: the system in the foreground or the background."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from devstack.stack import ROOT, Stack, StackConfig

PIDFILE = ROOT / ".data" / "run" / "devstack.pid"
BANNER = """
  Batch communications is running.

    Admin UI:   {gateway}
    Log in as:  admin@riverbend-water.example  /  riverbend-admin   (org_admin, Riverbend Water Utility)
                viewer@riverbend-water.example /  riverbend-viewer  (viewer)
    Mail catcher (every email sent lands here): {mail}/messages
    Logs:       {logs}
"""


def _config(args: argparse.Namespace) -> StackConfig:
    config = StackConfig()
    config.database = args.database
    if args.assemblies:
        config.demo_assemblies = args.assemblies
    return config


def run(args: argparse.Namespace) -> int:
    stack = Stack(_config(args))
    stopping = False

    def _terminate(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        # written before starting, so `status`, `up` and `down` see a stack that is still starting
        PIDFILE.parent.mkdir(parents=True, exist_ok=True)
        PIDFILE.write_text(str(os.getpid()))
        print("starting the mail catcher and the services ...", flush=True)
        stack.start()
        print(
            BANNER.format(
                gateway=stack.config.url("gateway"), mail=stack.config.url("mailcatcher"), logs=stack.log_dir
            ),
            flush=True,
        )
        print(f"  ready in {time.monotonic() - started:.1f}s; Ctrl-C stops everything.", flush=True)
        while not stopping:
            for name, proc in list(stack.processes.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}:\n{stack.tail(name)}", file=sys.stderr, flush=True)
                    stopping = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping ...", flush=True)
        stack.stop()
        if PIDFILE.exists() and PIDFILE.read_text().strip() == str(os.getpid()):
            PIDFILE.unlink()
    return 0


def _running_pid() -> int | None:
    if not PIDFILE.exists():
        return None
    try:
        pid = int(PIDFILE.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (ValueError, ProcessLookupError):
        return None


def up(args: argparse.Namespace) -> int:
    if _running_pid():
        print(f"already running (pid {_running_pid()})")
        return 0
    log = ROOT / ".data" / "run" / "devstack.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "devstack", "run", "--database", args.database]
    if args.assemblies:
        cmd += ["--assemblies", str(args.assemblies)]
    offset = log.stat().st_size if log.exists() else 0

    def this_run() -> str:
        with open(log, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(this_run()[-3000:], file=sys.stderr)
            return 1
        text = this_run()
        if "ready in" in text:
            print(text[text.rfind("Batch communications is running") :].strip())
            print("  `make down` stops it.")
            return 0
        time.sleep(0.5)
    print("the system did not become ready in 180 s; see " + str(log), file=sys.stderr)
    return 1


def down(_args: argparse.Namespace) -> int:
    pid = _running_pid()
    if pid is None:
        print("not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("stopped")
            return 0
        time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    print("killed")
    return 0


def status(_args: argparse.Namespace) -> int:
    pid = _running_pid()
    print(f"running (pid {pid})" if pid else "not running")
    return 0 if pid else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "up"):
        p = sub.add_parser(name)
        p.add_argument("--database", choices=["sqlite", "postgres"], default=os.environ.get("RUN_DB", "sqlite"))
        p.add_argument("--assemblies", type=int, default=0, help="demo assemblies to load (default 600)")
    sub.add_parser("down")
    sub.add_parser("status")
    args = parser.parse_args(argv)
    return {"run": run, "up": up, "down": down, "status": status}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
