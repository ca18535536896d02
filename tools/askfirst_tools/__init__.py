"""Python helpers shared by askfirst's host tools (askfirst-vm, the demo).

They speak only the control protocol (consent/PROTOCOL.md) and start
programs; they know nothing of askfirstd's internals.
"""
