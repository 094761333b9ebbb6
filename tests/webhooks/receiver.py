"""A webhook receiver, run as its own process by the tests: `python receiver.py PORT SECRET LOG`.

Each POST is verified with the Standard Webhooks library and appended to LOG as one JSON line
({"id", "number", "type", "verified", "body"}), then answered 204. Control files beside LOG:
`LOG.status` holds a status code to answer instead (e.g. 503, 410), without recording;
`LOG.kill` holds "<n> <pid>": on the n-th request SIGKILL process `pid` before answering, and
do not record that request (the sender never learnt it was taken)."""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT, SECRET, LOG = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
STATUS, KILL = Path(f"{LOG}.status"), Path(f"{LOG}.kill")
seen = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        seen += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if KILL.exists():
            n, pid = map(int, KILL.read_text().split())
            if seen == n:
                os.kill(pid, signal.SIGKILL)
                self.send_response(503)
                self.end_headers()
                return
        if STATUS.exists():
            self.send_response(int(STATUS.read_text()))
            self.end_headers()
            self.wfile.write(b"not now")
            return
        try:
            payload = Webhook(SECRET).verify(body, dict(self.headers.items()))
            verified = True
        except WebhookVerificationError:
            payload, verified = json.loads(body), False
        entry = {
            "id": self.headers["webhook-id"],
            "number": payload["number"],
            "type": payload["type"],
            "verified": verified,
            "body": body.decode(),
        }
        with LOG.open("a") as log:
            log.write(json.dumps(entry) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
