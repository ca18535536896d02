"""A fake DNS server for the host resolver test: UDP on a loopback address,
port 53, answering each listed name with a fixed RCODE and anything else
with NXDOMAIN. It lets the test see NXDOMAIN and SERVFAIL pass through
askfirstd's host lookups without any query leaving the machine."""
import socket
import struct
import threading


class FakeDns:
    def __init__(self, address, rcodes):
        self.rcodes = rcodes
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((address, 53))
        self.socket.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _name(query):
        labels, offset = [], 12
        while offset < len(query) and query[offset]:
            length = query[offset]
            labels.append(query[offset + 1:offset + 1 + length].decode(errors="replace"))
            offset += 1 + length
        return ".".join(labels).lower(), offset + 5

    def _serve(self):
        while self.running:
            try:
                query, peer = self.socket.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(query) < 12:
                continue
            name, end = self._name(query)
            rcode = self.rcodes.get(name, 3)
            header = query[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, 0, 0, 0)
            self.socket.sendto(header + query[12:end], peer)

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.socket.close()
