#!/usr/bin/env bash
# Records what examples/python-flask/app.py sends to the CloudWatch agent into test/fixtures/python-flask-emf.json,
# for test/contract/python-example.test.ts (CI has no PyPI, so it checks this recording, not a live run).
#
# It runs the example with Flask's development server on loopback, with the AWS_EMF_* variables
# EmfFargateService sets for a service named "flaskapp", against a TCP listener on 127.0.0.1:25888 (the agent
# endpoint of the task definition), sends a matched route, an unmatched URL, a 500 and the excluded health check,
# and keeps every line that arrives. A second run of the library alone (put_dimensions, default dimensions kept)
# gives the negative example. Nothing is downloaded:
#
#   - aws-embedded-metrics: importable by $PYTHON (pip install -r examples/python-flask/requirements.txt), or
#     EMF_PY_GIT_DIR=<a clone of awslabs/aws-embedded-metrics-python> to run its source at EMF_PY_REF
#     (default: the commit of release 3.5.0); either way at the version requirements.txt pins;
#   - Flask and aiohttp (the library's one dependency): importable by $PYTHON, Flask at the pinned version.
#
# Usage: [PYTHON=python3] [EMF_PY_GIT_DIR=<dir> [EMF_PY_REF=<commit>]] npm run record:python-example
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# "chore: Bump version to 3.5.0" on master: setup.py says 3.5.0 there, and the repository has no v3.5.0 tag.
EMF_PY_REF=${EMF_PY_REF:-db0bdadf9f7c97baf393cd0c9cbad2dc0f00675a}
EXAMPLE=examples/python-flask
FIXTURE=test/fixtures/python-flask-emf.json

fail() {
  printf 'record-python-example: %s\n' "$1" >&2
  exit 1
}

command -v "$PYTHON" >/dev/null 2>&1 || fail "no Python interpreter '$PYTHON' (set PYTHON to one)"

pinned() { sed -n "s/^$1==\\(.*\\)$/\\1/p" "$EXAMPLE/requirements.txt"; }
LIBRARY_PIN=$(pinned aws-embedded-metrics)
FLASK_PIN=$(pinned Flask)
[ -n "$LIBRARY_PIN" ] && [ -n "$FLASK_PIN" ] ||
  fail "$EXAMPLE/requirements.txt must pin aws-embedded-metrics==X and Flask==Y"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

LIBRARY_COMMIT=""
if [ -n "${EMF_PY_GIT_DIR:-}" ]; then
  git --git-dir="$EMF_PY_GIT_DIR" rev-parse --verify --quiet "$EMF_PY_REF^{commit}" >/dev/null 2>&1 ||
    fail "EMF_PY_GIT_DIR=$EMF_PY_GIT_DIR has no commit $EMF_PY_REF (fetch awslabs/aws-embedded-metrics-python first)"
  LIBRARY_COMMIT=$(git --git-dir="$EMF_PY_GIT_DIR" rev-parse "$EMF_PY_REF^{commit}")
  mkdir "$work/emf-py"
  git --git-dir="$EMF_PY_GIT_DIR" archive "$LIBRARY_COMMIT" | tar -x -C "$work/emf-py"
  export PYTHONPATH="$work/emf-py${PYTHONPATH:+:$PYTHONPATH}"
fi

# Each check names the module and the interpreter's own last word on why it cannot import it.
importable() {
  local why
  why=$("$PYTHON" -c "import $1" 2>&1) && return 0
  fail "$2 is not importable by $PYTHON ($(printf '%s' "$why" | tail -n 1)): $3 (this script downloads nothing)"
}
importable aiohttp "aiohttp, which aws-embedded-metrics imports," "pip install -r $EXAMPLE/requirements.txt"
importable aws_embedded_metrics.logger.metrics_logger_factory aws-embedded-metrics \
  "pip install -r $EXAMPLE/requirements.txt, or set EMF_PY_GIT_DIR to a clone of awslabs/aws-embedded-metrics-python"
importable flask Flask "pip install -r $EXAMPLE/requirements.txt"

export PYTHON LIBRARY_PIN FLASK_PIN LIBRARY_COMMIT EXAMPLE FIXTURE
export RECORD_WORK="$work"
"$PYTHON" - <<'PY'
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

EXAMPLE = Path(os.environ["EXAMPLE"])
FIXTURE = Path(os.environ["FIXTURE"])
APP = EXAMPLE / "app.py"
AGENT = ("127.0.0.1", 25888)
# What EmfFargateService gives the container of a service named "flaskapp" with the default metric settings
# (test/contract/python-example.test.ts checks this against a synthesized task definition).
EMF_ENVIRONMENT = {
    "AWS_EMF_AGENT_ENDPOINT": f"tcp://{AGENT[0]}:{AGENT[1]}",
    "AWS_EMF_SERVICE_NAME": "flaskapp",
    "AWS_EMF_SERVICE_TYPE": "AWS::ECS::Container",
    "AWS_EMF_LOG_GROUP_NAME": "/ecs/flaskapp/emf",
    "AWS_EMF_LOG_STREAM_NAME": "flaskapp",
    "AWS_EMF_NAMESPACE": "flaskapp",
}
REQUESTS = [("/items/7", 200), ("/", 200), ("/no/such/route", 404), ("/fail", 500), ("/health", 200)]
EXPECTED_DOCUMENTS = 4  # every request but the health check


APP_LOG = Path(os.environ["RECORD_WORK"]) / "app.log"


def fail(message: str) -> None:
    if APP_LOG.exists():
        sys.stderr.write(f"--- the example's output ---\n{APP_LOG.read_text()}--- end ---\n")
    sys.exit(f"record-python-example: {message}")


def library_version() -> str:
    import aws_embedded_metrics

    try:
        return metadata.version("aws-embedded-metrics")
    except metadata.PackageNotFoundError:
        # Run from a source tree: the version its setup.py declares.
        setup = Path(aws_embedded_metrics.__file__).parent.parent / "setup.py"
        found = re.search(r'version="([^"]+)"', setup.read_text()) if setup.exists() else None
        if not found:
            fail(f"cannot tell the version of aws-embedded-metrics at {setup.parent}")
        return found.group(1)


class Listener:
    """The agent's EMF endpoint as far as this recording needs it: TCP, newline-delimited lines, kept in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lock = threading.Condition()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.server.bind(AGENT)
        except OSError as error:
            fail(f"cannot listen on {AGENT[0]}:{AGENT[1]} ({error}); is a CloudWatch agent or another recording running?")
        self.server.listen()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            connection, _ = self.server.accept()
            threading.Thread(target=self.read, args=(connection,), daemon=True).start()

    def read(self, connection: socket.socket) -> None:
        pending = b""
        with connection:
            while chunk := connection.recv(65536):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                with self.lock:
                    self.lines.extend(line.decode("utf-8") for line in complete if line)
                    self.lock.notify_all()

    def wait_for(self, count: int, seconds: float) -> list[str]:
        with self.lock:
            if not self.lock.wait_for(lambda: len(self.lines) >= count, timeout=seconds):
                fail(f"the listener received {len(self.lines)} of {count} documents within {seconds} s")
            return list(self.lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def run_app(listener: Listener, environment: dict) -> list[dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(APP_LOG, "w")
    app = subprocess.Popen(
        [os.environ["PYTHON"], str(APP)],
        env={**environment, "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"{base}/health")
                break
            except OSError:
                if app.poll() is not None or time.monotonic() > deadline:
                    fail("the example did not start")
                time.sleep(0.1)
        answered = []
        for path, expected in REQUESTS:
            status = get(f"{base}{path}")
            if status != expected:
                fail(f"GET {path} answered {status}, expected {expected}")
            answered.append({"method": "GET", "path": path, "status": status})
        # The health checks above sent nothing; the four measured requests send one document each.
        listener.wait_for(EXPECTED_DOCUMENTS, 10)
        time.sleep(0.5)  # anything beyond the expected documents would be a finding, so give it time to arrive
        return answered
    finally:
        app.terminate()
        app.wait(10)
        log.close()


def run_with_default_dimensions(environment: dict) -> None:
    # The way the original Flask service published: put_dimensions keeps the library's default dimensions.
    code = """
from aws_embedded_metrics.config import get_config
from aws_embedded_metrics.logger.metrics_logger_factory import create_metrics_logger
get_config().environment = "default"
metrics = create_metrics_logger()
metrics.put_dimensions({"Path": "/items/<int:item_id>"})
metrics.put_dimensions({"StatusClass": "2xx"})
metrics.put_dimensions({})
metrics.put_metric("Latency", 1.5, "Milliseconds")
metrics.flush_sync()
"""
    subprocess.run([os.environ["PYTHON"], "-c", code], env=environment, check=True, timeout=30)


def main() -> None:
    import aiohttp

    library = library_version()
    flask_version = metadata.version("flask")
    if library != os.environ["LIBRARY_PIN"]:
        fail(f"aws-embedded-metrics {library} found; requirements.txt pins {os.environ['LIBRARY_PIN']}")
    if flask_version != os.environ["FLASK_PIN"]:
        fail(f"Flask {flask_version} found; requirements.txt pins {os.environ['FLASK_PIN']}")
    app_sha256 = hashlib.sha256(APP.read_bytes()).hexdigest()

    # Only what the task definition would set, plus what Python needs to start: no AWS_* from this shell.
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "PYTHONPATH") if name in os.environ}
    environment = {**base, **EMF_ENVIRONMENT}
    listener = Listener()
    requests = run_app(listener, environment)
    app_documents = listener.wait_for(EXPECTED_DOCUMENTS, 0)
    run_with_default_dimensions(environment)
    variant = listener.wait_for(len(app_documents) + 1, 10)[len(app_documents):]

    if hashlib.sha256(APP.read_bytes()).hexdigest() != app_sha256:
        fail(f"{APP} changed during the recording; run it again")
    commit = os.environ.get("LIBRARY_COMMIT") or None
    recording = {
        "description": (
            "What examples/python-flask/app.py sent to a TCP listener on the agent endpoint, one line per "
            "document, recorded by scripts/record-python-example.sh; checked by test/contract/python-example.test.ts."
        ),
        "recordedAt": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "command": (
            (f"EMF_PY_GIT_DIR=<clone of awslabs/aws-embedded-metrics-python> EMF_PY_REF={commit} " if commit else "")
            + ("npm run record:python-example" if os.environ.get("npm_lifecycle_event") else "bash scripts/record-python-example.sh")
        ),
        "appCommand": f"{os.environ['PYTHON']} {APP} (HOST=127.0.0.1, PORT=<free port>, the environment below)",
        "appSha256": app_sha256,
        "library": {
            "name": "aws-embedded-metrics",
            "version": library,
            "source": (
                {"repository": "https://github.com/awslabs/aws-embedded-metrics-python", "commit": commit, "tag": None}
                if commit
                else {"installed": True}
            ),
        },
        "runtime": {
            "python": sys.version.split()[0],
            "flask": flask_version,
            "werkzeug": metadata.version("werkzeug"),
            "aiohttp": aiohttp.__version__,
        },
        "environment": EMF_ENVIRONMENT,
        "requests": requests,
        "documents": app_documents,
        "withDefaultDimensions": {
            "description": (
                "The same library publishing with put_dimensions (as the original Flask service did): it keeps "
                "the default dimensions LogGroup, ServiceName and ServiceType in every set."
            ),
            "documents": variant,
        },
    }
    FIXTURE.write_text(json.dumps(recording, indent=2) + "\n")
    print(f"recorded {len(app_documents)} documents (+{len(variant)} with default dimensions) into {FIXTURE}")
    for line in app_documents + variant:
        print(line)


main()
PY
