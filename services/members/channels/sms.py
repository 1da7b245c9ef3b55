"""SMS through Brevo's transactional SMS API: POST `{base}/v3/transactionalSMS/sms`, header
`api-key`, JSON `{"sender", "recipient", "content", "type": "transactional"}`; Brevo answers 201
with a `messageId`. The recipient is the number with its country code and no "+"
(33612345678).

`MAILLAGE_SMS_API_KEY` (the key), `MAILLAGE_SMS_SENDER` (the name shown: at most 11 letters or
digits, or 15 digits), `MAILLAGE_SMS_BASE_URL` (https://api.brevo.com; tests point it at a local
server), `MAILLAGE_SMS_TIMEOUT` (seconds, 10)."""

from __future__ import annotations

import re

import requests

from backbone import config
from services.members.channels import Outgoing, SendFailed

BREVO = "https://api.brevo.com"
SENDER_NAME = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$|^[0-9]{1,15}$")


class BrevoSmsSender:
    def __init__(self, api_key: str, sender: str, *, base_url: str = BREVO, timeout: float = 10):
        if not api_key:
            raise ValueError("MAILLAGE_SMS_API_KEY: the provider's API key is needed")
        if not SENDER_NAME.match(sender or ""):
            raise ValueError(
                "MAILLAGE_SMS_SENDER: at most 11 letters, digits or spaces (or 15 digits), "
                f"got {sender!r}"
            )
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("MAILLAGE_SMS_BASE_URL: an http(s) URL is expected")
        self.api_key, self.sender, self.timeout = api_key, sender, timeout
        self.url = base_url.rstrip("/") + "/v3/transactionalSMS/sms"
        self.http = requests.Session()

    @classmethod
    def from_environ(cls, environ) -> BrevoSmsSender:
        return cls(
            config.value_in("MAILLAGE_SMS_API_KEY", environ),
            config.value_in("MAILLAGE_SMS_SENDER", environ),
            base_url=config.value_in("MAILLAGE_SMS_BASE_URL", environ) or BREVO,
            timeout=config.value_in("MAILLAGE_SMS_TIMEOUT", environ),
        )

    def send(self, message: Outgoing) -> None:
        body = {
            "sender": self.sender,
            "recipient": message.to.lstrip("+"),
            "content": message.text,
            "type": "transactional",
            "unicodeEnabled": True,
            "tag": "maillage",
        }
        try:
            answer = self.http.post(
                self.url,
                json=body,
                timeout=self.timeout,
                allow_redirects=False,
                headers={"api-key": self.api_key, "accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise SendFailed(f"SMS: {type(exc).__name__}", unreachable=True) from None
        if answer.status_code != 201:
            raise SendFailed(f"SMS: HTTP {answer.status_code}: {answer.text[:200]}")
