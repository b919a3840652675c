"""Reference consumer for the end-to-end benchmark: the straightforward boto3
loop a team would write by hand (receive 10, GetObject, gunzip, json.loads per
line, delete). It drains the queue and exits once it has been empty for a while.
Usage: python boto3_consumer.py QUEUE_URL IDLE_SECS"""
import gzip
import json
import sys
import time
import urllib.parse

import boto3

queue_url, idle = sys.argv[1], float(sys.argv[2])
sqs = boto3.client("sqs")
s3 = boto3.client("s3")
records = 0
last = time.monotonic()
while time.monotonic() - last < idle:
    out = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    messages = out.get("Messages", [])
    if messages:
        last = time.monotonic()
    for m in messages:
        body = json.loads(m["Body"])
        for r in body.get("Records", []):
            if not r.get("eventName", "").startswith("ObjectCreated:"):
                continue
            key = urllib.parse.unquote_plus(r["s3"]["object"]["key"])
            data = s3.get_object(Bucket=r["s3"]["bucket"]["name"], Key=key)["Body"].read()
            if key.endswith(".gz"):
                data = gzip.decompress(data)
            for line in data.splitlines():
                if line.strip():
                    json.loads(line)
                    records += 1
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
print(records)
