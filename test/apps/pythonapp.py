#!/usr/bin/env python3
# Test app (image dapr-ts/test-app:pythonapp): the Dapr hello-world "pythonapp", as a user writes
# it. Once a second it invokes nodeapp's "neworder" method through its own sidecar's
# service-invocation API, with increasing order ids; an order that fails is sent again (same id)
# until it succeeds, so every id up to the last one sent reaches nodeapp. Standard library only.
#   $DAPR_HTTP_PORT   the sidecar's HTTP port (default 3500), set by the injector
#   $TARGET_APP_ID    the app to call (default nodeapp)
#   $INTERVAL_SECONDS pause between orders (default 1)
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

dapr_port = os.environ.get("DAPR_HTTP_PORT", "3500")
target = os.environ.get("TARGET_APP_ID", "nodeapp")
interval = float(os.environ.get("INTERVAL_SECONDS", "1"))
url = f"http://localhost:{dapr_port}/v1.0/invoke/{target}/method/neworder"

# SIGTERM ends the loop between orders, as a pod deletion expects.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

n = 1
while True:
    body = json.dumps({"data": {"orderId": n}}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            print(f"Sent order {n}: HTTP {response.status}", flush=True)
        n += 1
    except (urllib.error.URLError, OSError) as err:
        # The sidecar may not be ready yet, or nodeapp may be restarting: try this order again.
        print(f"Order {n} failed: {err}", flush=True)
    time.sleep(interval)
