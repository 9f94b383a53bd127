"""Local provider endpoints for the embedded default: an SMTP server and an HTTP gateway
for SMS and push, reached through ordinary apprise URLs. They record what they receive."""
