"""A tiny SAM app written to a tmp dir: a template and handlers that exercise the runtime."""

from pathlib import Path

GATEWAY_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Globals:
  Function:
    Handler: app.lambda_handler
    Timeout: 5
    Environment:
      Variables:
        GREETING: !Ref Greeting
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Events:
        Item: {Type: HttpApi, Properties: {Method: POST, Path: "/items/{id}"}}
        ItemGet: {Type: HttpApi, Properties: {Method: GET, Path: "/items/{id}"}}
        Files: {Type: HttpApi, Properties: {Method: ANY, Path: "/files/{proxy+}"}}
        Answer: {Type: HttpApi, Properties: {Method: GET, Path: /answer}}
        Slow: {Type: HttpApi, Properties: {Method: GET, Path: /slow}}
        Boom: {Type: HttpApi, Properties: {Method: GET, Path: /boom}}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Events:
        Broken: {Type: HttpApi, Properties: {Method: GET, Path: /broken}}
"""

ECHO_HANDLER = """
import json
import threading
import time
import uuid

CONTAINER = uuid.uuid4().hex  # one per separately imported module
BUSY = threading.Lock()


def lambda_handler(event, context):
    if not BUSY.acquire(blocking=False):
        raise RuntimeError("one container served two requests at once")
    try:
        return route(event, context)
    finally:
        BUSY.release()


def route(event, context):
    key = event["routeKey"]
    if key == "GET /answer":
        # The payload 2.0 shortcut: no statusCode.
        return {"answer": 42}
    if key == "GET /slow":
        time.sleep(0.3)
        return {"container": CONTAINER}
    if key == "GET /boom":
        raise ValueError("boom")
    if key == "ANY /files/{proxy+}":
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": event["body"] if event.get("isBase64Encoded") else "",
            "isBase64Encoded": True,
        }
    params = event.get("queryStringParameters") or {}
    return {
        "statusCode": int(params.get("status", "200")),
        "headers": {"content-type": "application/json", "x-container": CONTAINER},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": json.dumps(
            {
                "event": event,
                "function": context.function_name,
                "remaining_ms": context.get_remaining_time_in_millis(),
            }
        ),
    }
"""

BROKEN_HANDLER = "raise ImportError('broken on purpose')\n"


def write_app(root: Path, template: str = GATEWAY_TEMPLATE, **handlers: str) -> Path:
    handlers = {"echo": ECHO_HANDLER, "broken": BROKEN_HANDLER, **handlers}
    for directory, source in handlers.items():
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / "app.py").write_text(source)
    path = root / "template.yaml"
    path.write_text(template)
    return path
