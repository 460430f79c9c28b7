import os, queue, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from hookwire import Hookwire, verify

got = queue.Queue()
class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        got.put((self.rfile.read(int(self.headers["content-length"])), self.headers))
        self.send_response(204), self.end_headers()
receiver = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()

hw = Hookwire(os.environ["HOOKWIRE_URL"], os.environ["HOOKWIRE_API_KEY"])
hook = hw.webhooks.create(f"http://127.0.0.1:{receiver.server_port}/", ["order.created"])
hw.publish("order.created", {"id": 42})
print(verify(*got.get(timeout=10), hook["secret"]))
