"""A Flask service that publishes the emf-fargate metric contract with aws-embedded-metrics.

Every request but the health check is one ``Latency`` sample, in milliseconds, sent as one EMF document under
exactly the dimension sets ``[Path]``, ``[StatusClass]`` and ``[]``: what EmfFargateService's alarms, autoscaling
and dashboard read (docs/metric-contract.md). The namespace, log group, log stream, service name and agent
endpoint are the AWS_EMF_* variables the task definition sets; the library reads them itself.

Locally: ``python app.py`` (``PORT``, default 8080; ``HOST``, default 0.0.0.0). In a container, a WSGI server
such as gunicorn serves ``app:app``.
"""

import os
import time

from aws_embedded_metrics.config import get_config
from aws_embedded_metrics.logger.metrics_logger_factory import create_metrics_logger
from flask import Flask, Response, g, request

UNMATCHED_PATH = "(unmatched)"
"""``Path`` of every request no route matched, so unknown URLs cannot multiply metrics."""

EXCLUDED_PATHS = frozenset({"/health"})
"""Route templates that publish nothing: load balancer and container health checks."""

config = get_config()
# The Python library has no ECS environment: left to itself, its first flush probes Lambda, then EC2's instance
# metadata service (Fargate tasks have none), before it falls back to the default environment, the one that
# sends to AWS_EMF_AGENT_ENDPOINT. Start there; AWS_EMF_ENVIRONMENT, when set, still decides.
if not config.environment:
    config.environment = "default"


def status_class(status: int) -> str:
    """The ``StatusClass`` dimension of an HTTP status: ``1xx`` … ``5xx``."""
    return f"{min(max(status // 100, 1), 5)}xx"


app = Flask(__name__)


@app.before_request
def start_timer() -> None:
    g.emf_started = time.perf_counter()


@app.after_request
def publish_latency(response: Response) -> Response:
    # Flask runs this for unmatched URLs (404) and for unhandled exceptions (the 500 it answers) too.
    started = g.pop("emf_started", None)
    path = request.url_rule.rule if request.url_rule is not None else UNMATCHED_PATH
    if started is None or path in EXCLUDED_PATHS:
        return response
    metrics = create_metrics_logger()
    # Exactly the contract's sets: with use_default=False the library's default dimensions (LogGroup,
    # ServiceName, ServiceType) are left out, which would otherwise be added to every set and give the metrics
    # an identity the alarms do not read.
    metrics.set_dimensions(
        {"Path": path},
        {"StatusClass": status_class(response.status_code)},
        {},
        use_default=False,
    )
    metrics.put_metric("Latency", (time.perf_counter() - started) * 1000, "Milliseconds")
    metrics.set_property("Method", request.method)
    metrics.set_property("Url", request.path)
    metrics.set_property("StatusCode", response.status_code)
    metrics.flush_sync()
    return response


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/")
def index() -> dict:
    return {"service": config.service_name or "python-flask-example"}


@app.get("/items/<int:item_id>")
def item(item_id: int) -> dict:
    return {"id": item_id}


@app.get("/fail")
def fail() -> dict:
    raise RuntimeError("a deliberate failure: this request is a 5xx sample")


if __name__ == "__main__":
    # Flask's development server, for a local run and scripts/record-python-example.sh.
    app.run(host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8080")))
