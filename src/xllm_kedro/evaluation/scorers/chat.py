"""One chat endpoint (OpenAI-compatible) for the LLM judge and the self-instruct generator, on the
``openai`` client: its timeout and its retries (connection errors, timeouts, 408/409/429 and 5xx, with
backoff). The endpoint and key come from the caller (the Kedro layer reads conf/local/credentials.yml).

A call that still fails after the retries raises ``EndpointUnavailable`` naming the URL and the cause,
so a caller can skip its whole report instead of writing part of one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from xllm_kedro.quiet import once

log = logging.getLogger(__name__)


class EndpointUnavailable(RuntimeError):
    """The endpoint did not answer (timeout, refused connection, HTTP error) or answered outside the schema."""


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str  # e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1
    api_key: str
    model: str
    timeout_s: float = 60.0
    retries: int = 2
    max_tokens: int | None = None  # per reply, unless a call says otherwise (None: the server's default)

    @cached_property
    def _client(self):
        from openai import OpenAI

        return OpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s, max_retries=self.retries)

    def ask(self, prompt: str, *, max_tokens: int | None = None, temperature: float = 0.0) -> str:
        """One user message; the reply's text. Raises EndpointUnavailable once the client's retries are spent."""
        import openai

        max_tokens = max_tokens or self.max_tokens
        extra = {} if max_tokens is None else {"max_tokens": max_tokens}
        where = f"chat endpoint {self.base_url} (model {self.model})"
        try:
            reply = self._client.chat.completions.create(
                model=self.model, temperature=temperature, messages=[{"role": "user", "content": prompt}], **extra)
        except openai.APITimeoutError:
            raise EndpointUnavailable(f"{where} gave no answer within {self.timeout_s:g} s "
                                      f"({self.retries} retries)") from None
        except openai.APIConnectionError as err:
            raise EndpointUnavailable(f"{where} cannot be reached ({self.retries} retries): {err.__cause__ or err}") from None
        except openai.APIStatusError as err:
            raise EndpointUnavailable(f"{where} answered HTTP {err.status_code}") from None
        except openai.APIError as err:
            raise EndpointUnavailable(f"{where} answered outside the chat-completions schema: {err}") from None
        choices = getattr(reply, "choices", None)
        content = choices[0].message.content if choices and getattr(choices[0], "message", None) else None
        if not isinstance(content, str):
            raise EndpointUnavailable(f"{where} answered without choices[0].message.content: {str(reply)[:200]!r}")
        return content


def endpoint_from_credentials(credentials: Mapping | None, settings: Mapping, *, role: str = "llm_judge",
                              where: str = "parameters evaluation.scorers.llm_judge") -> ChatEndpoint | None:
    """The endpoint of ``role``, or None (logged) when ``settings`` switch it off or
    conf/local/credentials.yml lacks ``<role>.base_url`` / ``<role>.api_key``.

    The model is ``<role>.model`` of the credentials when given (it belongs to the server), else
    ``settings['model']``.
    """
    if not settings.get("enabled"):
        once(log, logging.INFO, "%s skipped: %s.enabled is false", role, where)
        return None
    credentials = credentials or {}
    missing = [k for k in ("api_key", "base_url") if not credentials.get(k)]
    if missing:
        once(log, logging.WARNING, "%s skipped: conf/local/credentials.yml has no %s", role,
             " / ".join(f"{role}.{k}" for k in missing))
        return None
    model = credentials.get("model") or settings.get("model")
    if not model:
        raise ValueError(f"{where}.model (or {role}.model in conf/local/credentials.yml) names no model")
    return ChatEndpoint(str(credentials["base_url"]), str(credentials["api_key"]), str(model),
                        float(settings.get("timeout_s", 60)), int(settings.get("retries", 2)), settings.get("max_tokens"))
