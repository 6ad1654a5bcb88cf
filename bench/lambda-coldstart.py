#!/usr/bin/env python3
"""Cold start of the Lambda functions against a local stand-in of the Lambda Runtime API.

For each run: start the function's binary (a host build of `bootstrap`) with the environment
Lambda gives it, serve one event on `GET /2018-06-01/runtime/invocation/next`, and time from
just before the process is spawned to the moment its answer arrives on
`POST .../invocation/{id}/response`. That is init (adapters built from the environment, token
secret read) plus the first handled event. Nothing reaches AWS: the events take paths that need
no storage (a health check, an expired login, an object outside `uploads/`, a message of another
queue, the anchor schedule without a node), and
`AWS_ENDPOINT_URL` points at a closed port so a stray call would fail instead.

Usage: python3 bench/lambda-coldstart.py [RUNS] [FUNCTION...]   (after `cargo build --release -p ...`)
"""

import http.server
import json
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def http_event(fixture: pathlib.Path, body: str | None = None) -> bytes:
    event = json.loads(fixture.read_text())
    if body is not None:
        event["body"] = body
    return json.dumps(event).encode()


EXPIRED_LOGIN = json.dumps({
    "public_key": "03" + "11" * 32,
    "signature": "00" * 65,
    "message": {"action": "login", "nonce": 1, "expires": 1},
})

S3_OUTSIDE_UPLOADS = json.loads(
    (ROOT / "functions/validate/tests/events/s3-object-created-put.json").read_text())
S3_OUTSIDE_UPLOADS["Records"][0]["s3"]["object"]["key"] = "results/not-an-upload.json"

def sqs_event(body: str) -> bytes:
    return json.dumps({"Records": [{
        "messageId": "19dd0b57-b21e-4ac1-bd88-01bbb068cb78", "receiptHandle": "handle",
        "body": body, "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench", "awsRegion": "us-east-1",
    }]}).encode()


# analyze and oracle: a message of another queue (poison: listed without a storage call; analyze
# still loads its panel at init); anchor: the schedule with no node configured.
FUNCTIONS = {
    "api": (http_event(ROOT / "functions/api/tests/events/get-health.json"), b'"statusCode":200'),
    "presign": (http_event(ROOT / "functions/presign/tests/events/post-auth-login.json", EXPIRED_LOGIN),
                b'"statusCode":401'),
    "validate": (json.dumps(S3_OUTSIDE_UPLOADS).encode(), b'"ignored"'),
    "analyze": (sqs_event('{"type":"anchor_requested","sample_id":"s","item":"00"}'),
                b'"itemIdentifier":"19dd0b57'),
    "anchor": (b'{"type": "confirm_pending"}', b'"confirmed":[]'),
    "oracle": (sqs_event('{"type":"oracle_requested","source":"omim","id":"1"}'),
               b'"itemIdentifier":"19dd0b57'),
}


def runtime_api(event: bytes):
    """A fresh stand-in per run (a request of the previous, killed process can never reach the
    next run): serves `event` once, records when the answer arrives; a second `next` waits."""
    state = {"answered": threading.Event(), "served": False, "answer": b"", "at": 0.0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if not self.path.endswith("/invocation/next"):
                self.send_error(404)
                return
            if state["served"]:
                state["answered"].wait(timeout=30)
                time.sleep(5)  # the run is over; the process is killed meanwhile
                return
            state["served"] = True
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:us-east-1:123456789012:function:bench")
            self.send_header("Content-Length", str(len(event)))
            self.end_headers()
            self.wfile.write(event)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state["at"] = time.perf_counter()
            state["answer"] = self.path.encode() + b" " + body
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            state["answered"].set()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


def run_once(binary: pathlib.Path, event: bytes) -> tuple[float, bytes]:
    server, state = runtime_api(event)
    port = server.server_address[1]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": binary.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_LEVEL": "WARN",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCH",
        "AWS_SECRET_ACCESS_KEY": "bench-not-a-secret",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "GENOFLOW_BUCKET": "bench-data",
        "GENOFLOW_TABLE": "bench-records",
        "GENOFLOW_ANALYSIS_QUEUE_URL": "http://127.0.0.1:9/123456789012/bench-analysis",
        "GENOFLOW_ANCHOR_QUEUE_URL": "http://127.0.0.1:9/123456789012/bench-anchor",
        "GENOFLOW_STACKS_NETWORK": "testnet",
        "GENOFLOW_TOKEN_SECRET": "bench-token-secret-0123456789abcdef0123",
        # anchor and oracle: Clarinet's public devnet keys; no node (sign and keep).
        "GENOFLOW_SIGNER_KEY": "530d9f61984c888536871c6573073bdfc0058896dc1adfe9a6a10dfacadc209101",
        "GENOFLOW_REGISTRY_CONTRACT": "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
        "GENOFLOW_ORACLE_KEY": "d655b2523bcd65e34889725c73064feb17ceb796831c0e111ba1a552b0f31b3901",
        "GENOFLOW_ORACLE_CONTRACT": "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle",
    }
    start = time.perf_counter()
    process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        if not state["answered"].wait(timeout=30):
            raise SystemExit(f"{binary.name}: no answer; stderr: {process.stderr.read(2000)!r}")
        return (state["at"] - start) * 1000, state["answer"]
    finally:
        process.kill()
        process.wait()
        server.shutdown()
        server.server_close()


def main() -> None:
    print("| function | runs | p50 ms | p90 ms | min ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    wanted = sys.argv[2:] or list(FUNCTIONS)
    for name, (event, expected) in FUNCTIONS.items():
        if name not in wanted:
            continue
        binary = ROOT / "target/release" / name
        times = []
        for _ in range(RUNS):
            elapsed, answer = run_once(binary, event)
            if b"/response " not in answer or expected not in answer:
                raise SystemExit(f"{name}: unexpected answer {answer[:300]!r}")
            times.append(elapsed)
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f"| {name} | {RUNS} | {statistics.median(times):.1f} | {p90:.1f} | "
              f"{times[0]:.1f} | {times[-1]:.1f} |")


if __name__ == "__main__":
    main()
