"""Runs conformance steps with boto3 (the low-level client, DynamoDB's JSON shapes as they are).

stdin: {"endpoint": URL, "cases": [{"name": ..., "steps": [{"op": ..., "params": {...}}]}]}
stdout: {"results": [[outcome per step] per case]}, an outcome being
  {"ok": true, "data": response} or {"ok": false, "code": error code, "data": error response}.
"""
import json
import re
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

MAX_PAGES = 1000


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def page_all(call, params):
    items, pages, start = [], 0, None
    while pages < MAX_PAGES:
        page = call(**params, **({"ExclusiveStartKey": start} if start else {}))
        pages += 1
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    distinct = len({json.dumps(item, sort_keys=True) for item in items})
    return {"Pages": pages, "Count": len(items), "Distinct": distinct, "Items": items}


def run(client, step):
    op, params = step["op"], step["params"]
    try:
        if op in ("ScanAll", "QueryAll"):
            data = page_all(getattr(client, "scan" if op == "ScanAll" else "query"), params)
        else:
            data = getattr(client, snake(op))(**params)
            data.pop("ResponseMetadata", None)
        return {"ok": True, "data": data}
    except ClientError as error:
        data = dict(error.response)
        data.pop("ResponseMetadata", None)
        err = data.pop("Error", {})
        data["message"] = err.get("Message", "")
        return {"ok": False, "code": err.get("Code", ""), "data": data}


def main():
    request = json.load(sys.stdin)
    client = boto3.client(
        "dynamodb",
        endpoint_url=request["endpoint"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    results = [[run(client, step) for step in case["steps"]] for case in request["cases"]]
    json.dump({"results": results}, sys.stdout)


main()
