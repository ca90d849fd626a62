"""Runs SNS conformance steps with boto3 (the low-level client), pseudo-operations included
(see cases.ts), with its own loopback HTTP subscriber.

stdin: {"endpoint": URL, "cases": [{"name": ..., "steps": [{"op", "params", "save"?}]}]}
stdout: {"results": [[outcome per step] per case]}, an outcome being {"ok": true, "data": response}
  or {"ok": false, "code": Error.Code, "status": HTTP status, "type": Error.Type, "message": ...}.
"""
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
WAIT_S = 15
MAX_PAGES = 1000
HEADERS = ["x-amz-sns-message-type", "x-amz-sns-message-id", "x-amz-sns-topic-arn", "x-amz-sns-subscription-arn"]

received = []
received_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        text = self.rfile.read(length).decode("utf-8")
        try:
            body = json.loads(text)
        except ValueError:
            body = {"Raw": text}
        with received_lock:
            received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def at(data, path):
    for key in path.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def substitute(value, saved):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{\{(\w+)\}\}", value)
        if whole:
            return saved[whole.group(1)]
        return re.sub(r"\{\{(\w+)\}\}", lambda m: str(saved[m.group(1)]), value)
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


def wait_for(endpoint, kind, count):
    path = urllib.parse.urlparse(endpoint).path
    deadline = time.time() + WAIT_S
    while True:
        with received_lock:
            found = [r for r in received if r["path"] == path and r["headers"].get("x-amz-sns-message-type") == kind]
        if len(found) >= count:
            return found
        if time.time() > deadline:
            raise RuntimeError(f"{len(found)} of {count} {kind} requests reached {endpoint} in {WAIT_S} s")
        time.sleep(0.05)


def headers_of(request):
    out = {h: request["headers"][h] for h in HEADERS if h in request["headers"]}
    out["content-type"] = request["headers"].get("content-type")
    return out


def describe_xml(status, content_type, text):
    root = re.match(r'\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z]+)(?:\s+xmlns="([^"]*)")?\s*>', text)
    rest = text[root.end():] if root else ""
    first = re.match(r"\s*<([A-Za-z]+)", rest)
    code = re.search(r"<Code>([^<]*)</Code>", text)
    kind = re.search(r"<Type>([^<]*)</Type>", text)
    out = {"Status": status, "ContentType": content_type}
    if root:
        out["Root"] = root.group(1)
        if root.group(2) is not None:
            out["Namespace"] = root.group(2)
    if first:
        out["First"] = first.group(1)
    if code:
        out["Code"] = code.group(1)
    if kind:
        out["Type"] = kind.group(1)
    out["HasMessage"] = re.search(r"<Message>[^<]+</Message>", text) is not None
    out["HasRequestId"] = re.search(r"<RequestId>[^<]+</RequestId>", text) is not None
    return out


def raw(endpoint, form):
    body = urllib.parse.urlencode(form)
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials("test", "test"), "sns", REGION).add_auth(request)
    prepared = urllib.request.Request(
        endpoint + "/", data=body.encode("utf-8"), headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return describe_xml(response.status, response.headers.get("Content-Type", ""), response.read().decode())
    except urllib.error.HTTPError as error:
        return describe_xml(error.code, error.headers.get("Content-Type", ""), error.read().decode())


def pseudo(client, endpoint, subscriber_url, op, p):
    if op == "SubscribeHttp":
        url = f"{subscriber_url}/{p['Name']}"
        rest = {k: v for k, v in p.items() if k != "Name"}
        out = client.subscribe(**rest, Protocol="http", Endpoint=url)
        return {"SubscriptionArn": out.get("SubscriptionArn"), "Endpoint": url}
    if op == "AwaitConfirmation":
        first = wait_for(p["Endpoint"], "SubscriptionConfirmation", 1)[0]
        return {"Headers": headers_of(first), "Body": first["body"]}
    if op == "AwaitNotifications":
        found = wait_for(p["Endpoint"], "Notification", p["Count"])
        ordered = sorted(found, key=lambda r: str(r["body"].get("Message")))
        return {
            "Count": len(found),
            "Messages": [r["body"].get("Message") for r in ordered],
            "Envelopes": [r["body"] for r in ordered],
            "Headers": headers_of(found[0]),
        }
    if op == "CreateTopics":
        for i in range(p["Count"]):
            client.create_topic(Name=f"{p['Prefix']}-{i}")
        return {"Count": p["Count"]}
    if op == "ListTopicsAll":
        arns, sizes, token = [], [], None
        while len(sizes) < MAX_PAGES:
            page = client.list_topics(**({"NextToken": token} if token else {}))
            topics = page.get("Topics", [])
            sizes.append(len(topics))
            arns.extend(t["TopicArn"] for t in topics)
            token = page.get("NextToken")
            if not token:
                break
        return {
            "Pages": len(sizes),
            "PageSizes": sizes,
            "Mine": len([a for a in arns if p["Contains"] in a]),
            "Distinct": len(set(arns)) == len(arns),
            "Full": all(n == 100 for n in sizes[:-1]) and sizes[-1] <= 100,
        }
    if op == "Raw":
        return raw(endpoint, p["Form"])
    return None


def run(client, endpoint, subscriber_url, step, saved):
    params = substitute(step["params"], saved)
    try:
        data = pseudo(client, endpoint, subscriber_url, step["op"], params)
        if data is None:
            data = getattr(client, snake(step["op"]))(**params)
            data.pop("ResponseMetadata", None)
        for name, path in (step.get("save") or {}).items():
            saved[name] = at(data, path)
        return {"ok": True, "data": data}
    except ClientError as error:
        err = error.response.get("Error", {})
        return {
            "ok": False,
            "code": err.get("Code", ""),
            "status": error.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "type": err.get("Type"),
            "message": err.get("Message", ""),
        }


def main():
    request = json.load(sys.stdin)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    subscriber_url = f"http://127.0.0.1:{server.server_address[1]}"
    client = boto3.client(
        "sns",
        endpoint_url=request["endpoint"],
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    results = []
    for case in request["cases"]:
        saved = {}
        outcomes = []
        for step in case["steps"]:
            try:
                outcomes.append(run(client, request["endpoint"], subscriber_url, step, saved))
            except Exception as error:  # a step that cannot run ends its case, with the reason
                outcomes.append({"ok": False, "code": "RunnerError", "message": f"{type(error).__name__}: {error}"})
                break
        results.append(outcomes)
    server.shutdown()
    json.dump({"results": results}, sys.stdout)


main()
