# SPDX-License-Identifier: Apache-2.0
"""The official `openai` and `anthropic` Python SDKs, unmodified, through a
real Envoy with the filter (issue 11, "Real clients, unmodified").

For chat completions, the Responses API and Anthropic messages, streaming and
not, with and without a tool call, each test proves three things:
- the upstream (tests/e2e/mock_upstream.py) saw placeholders, never the raw
  value;
- the SDK parsed the answer without error: SSE framing, event order,
  content-length and headers survived the filter's rewriting;
- the user gets the original values back, in the text and in the tool-call
  arguments (profile option `rehydrate_tool_arguments`), also when the mock
  cuts every placeholder across SSE events (1-character deltas) or writes
  the stream a few bytes at a time.

The SDKs only get a base URL and a dummy key; per-test knobs for the mock
travel as `extra_headers`, which the SDKs pass through like any header.
Values are made up; none is a real credential.
"""
import json
import re

import anthropic
import openai
import pytest

from conftest import HERE, TIMEOUT

EMAIL = "alice.liddell@wonderland.example"
TEXT = f"Please email {EMAIL} about the invoice."
PLACEHOLDER = re.compile(r"\[EMAIL_[0-9a-z]+\]")
DUMMY_KEY = "test-key-not-a-secret"
SDK_CONFIG = HERE / "plugin-config.sdk.json"

TOOL_SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
CHAT_TOOLS = [{"type": "function", "function": {
    "name": "send_email", "description": "Sends an email.", "parameters": TOOL_SCHEMA}}]
RESPONSES_TOOLS = [{"type": "function", "name": "send_email", "description": "Sends an email.",
                    "parameters": TOOL_SCHEMA, "strict": False}]
ANTHROPIC_TOOLS = [{"name": "send_email", "description": "Sends an email.", "input_schema": TOOL_SCHEMA}]

# How the mock cuts a stream: 1-character deltas split every placeholder at
# every position; 5-byte writes split SSE events and UTF-8 framing across
# reads; 7-character deltas are the mock's default.
STREAM_SHAPES = {
    "deltas_of_1": {"x-mock-delta-chars": "1"},
    "deltas_of_7": {},
    "writes_of_5_bytes": {"x-mock-chunk-bytes": "5"},
}


@pytest.fixture(scope="module")
def sdk_gateway(gateway_factory):
    """A gateway whose default profile restores tool-call arguments too."""
    return gateway_factory("envoy-sdk", plugin_config=SDK_CONFIG)


def openai_client(gw):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gw.port}/v1", api_key=DUMMY_KEY,
                         max_retries=0, timeout=TIMEOUT)


def anthropic_client(gw):
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{gw.port}", api_key=DUMMY_KEY,
                               max_retries=0, timeout=TIMEOUT)


def upstream_placeholder(mock, path):
    """The placeholder the upstream got in place of EMAIL (and proof that
    it never got EMAIL itself)."""
    records = [r for r in mock.received() if r["path"] == path]
    assert len(records) == 1, f"expected one upstream request on {path}, got {len(records)}"
    body = records[0]["body"]
    assert EMAIL not in body, f"the upstream received the raw value on {path}"
    found = PLACEHOLDER.findall(body)
    assert found, f"no placeholder in what the upstream received: {body[:400]}"
    return found[0]


def assert_length_framing(raw):
    """A rewritten body changes length: no stale content-length may stay
    (the filter drops it and Envoy sends the answer chunked)."""
    length = raw.headers.get("content-length")
    if length is None:
        assert raw.headers.get("transfer-encoding") == "chunked", dict(raw.headers)
    else:
        assert int(length) == len(raw.content)


def assert_tool_arguments(arguments, placeholder, rehydrated):
    """Tool arguments must be valid JSON whatever the filter did to them."""
    args = arguments if isinstance(arguments, dict) else json.loads(arguments)
    expected = TEXT if rehydrated else TEXT.replace(EMAIL, placeholder)
    assert args == {"text": expected}


# ---------------------------------------------------------------------------
# OpenAI chat completions


@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_call"])
def test_openai_chat(sdk_gateway, mock, tools):
    mock.clear()
    client = openai_client(sdk_gateway)
    extra = {"tools": CHAT_TOOLS} if tools else {}
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], **extra)
    completion = raw.parse()
    placeholder = upstream_placeholder(mock, "/v1/chat/completions")
    assert raw.headers["x-shroud-action"] == "mask"
    assert_length_framing(raw)
    message = completion.choices[0].message
    assert message.content == TEXT
    if tools:
        assert completion.choices[0].finish_reason == "tool_calls"
        (call,) = message.tool_calls
        assert call.function.name == "send_email"
        assert_tool_arguments(call.function.arguments, placeholder, rehydrated=True)
    else:
        assert message.tool_calls is None


@pytest.mark.parametrize("shape", STREAM_SHAPES)
@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_call"])
def test_openai_chat_streaming(sdk_gateway, mock, tools, shape):
    mock.clear()
    client = openai_client(sdk_gateway)
    extra = {"tools": CHAT_TOOLS} if tools else {}
    deltas = []
    with client.chat.completions.stream(
            model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}],
            extra_headers=STREAM_SHAPES[shape], **extra) as stream:
        for event in stream:
            if event.type == "content.delta":
                deltas.append(event.delta)
        final = stream.get_final_completion()
    placeholder = upstream_placeholder(mock, "/v1/chat/completions")
    assert "".join(deltas) == TEXT
    message = final.choices[0].message
    assert message.content == TEXT
    if tools:
        assert final.choices[0].finish_reason == "tool_calls"
        (call,) = message.tool_calls
        assert call.function.name == "send_email"
        assert_tool_arguments(call.function.arguments, placeholder, rehydrated=True)
    else:
        assert final.choices[0].finish_reason == "stop"
        assert not message.tool_calls


# ---------------------------------------------------------------------------
# OpenAI Responses API


def responses_input():
    return [{"role": "user", "content": [{"type": "input_text", "text": TEXT}]}]


@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_call"])
def test_openai_responses(sdk_gateway, mock, tools):
    mock.clear()
    client = openai_client(sdk_gateway)
    extra = {"tools": RESPONSES_TOOLS} if tools else {}
    raw = client.responses.with_raw_response.create(model="gpt-4o-mini", input=responses_input(), **extra)
    response = raw.parse()
    placeholder = upstream_placeholder(mock, "/v1/responses")
    assert raw.headers["x-shroud-action"] == "mask"
    assert_length_framing(raw)
    assert response.output_text == TEXT
    calls = [item for item in response.output if item.type == "function_call"]
    if tools:
        (call,) = calls
        assert call.name == "send_email"
        assert_tool_arguments(call.arguments, placeholder, rehydrated=True)
    else:
        assert calls == []


@pytest.mark.parametrize("shape", STREAM_SHAPES)
@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_call"])
def test_openai_responses_streaming(sdk_gateway, mock, tools, shape):
    mock.clear()
    client = openai_client(sdk_gateway)
    extra = {"tools": RESPONSES_TOOLS} if tools else {}
    text_deltas, arg_deltas, done_arguments = [], [], []
    with client.responses.stream(model="gpt-4o-mini", input=responses_input(),
                                 extra_headers=STREAM_SHAPES[shape], **extra) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                text_deltas.append(event.delta)
            elif event.type == "response.function_call_arguments.delta":
                arg_deltas.append(event.delta)
            elif event.type == "response.function_call_arguments.done":
                done_arguments.append(event.arguments)
        final = stream.get_final_response()
    placeholder = upstream_placeholder(mock, "/v1/responses")
    assert "".join(text_deltas) == TEXT
    assert final.output_text == TEXT
    calls = [item for item in final.output if item.type == "function_call"]
    if tools:
        (call,) = calls
        assert call.name == "send_email"
        assert_tool_arguments("".join(arg_deltas), placeholder, rehydrated=True)
        (done,) = done_arguments
        assert_tool_arguments(done, placeholder, rehydrated=True)
        assert_tool_arguments(call.arguments, placeholder, rehydrated=True)
    else:
        assert calls == [] and arg_deltas == []


# ---------------------------------------------------------------------------
# Anthropic messages


@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_call"])
def test_anthropic_messages(sdk_gateway, mock, tools):
    mock.clear()
    client = anthropic_client(sdk_gateway)
    extra = {"tools": ANTHROPIC_TOOLS} if tools else {}
    raw = client.messages.with_raw_response.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": TEXT}], **extra)
    message = raw.parse()
    placeholder = upstream_placeholder(mock, "/v1/messages")
    assert raw.headers["x-shroud-action"] == "mask"
    assert_length_framing(raw)
    assert message.content[0].type == "text" and message.content[0].text == TEXT
    uses = [block for block in message.content if block.type == "tool_use"]
    if tools:
        assert message.stop_reason == "tool_use"
        (use,) = uses
        assert use.name == "send_email"
        assert_tool_arguments(use.input, placeholder, rehydrated=True)
    else:
        assert message.stop_reason == "end_turn" and uses == []


@pytest.mark.parametrize("shape", STREAM_SHAPES)
@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_call"])
def test_anthropic_messages_streaming(sdk_gateway, mock, tools, shape):
    mock.clear()
    client = anthropic_client(sdk_gateway)
    extra = {"tools": ANTHROPIC_TOOLS} if tools else {}
    text_deltas, json_deltas = [], []
    with client.messages.stream(model="claude-test", max_tokens=64,
                                messages=[{"role": "user", "content": TEXT}],
                                extra_headers=STREAM_SHAPES[shape], **extra) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                text_deltas.append(event.delta.text)
            elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                json_deltas.append(event.delta.partial_json)
        final = stream.get_final_message()
    placeholder = upstream_placeholder(mock, "/v1/messages")
    assert "".join(text_deltas) == TEXT
    assert final.content[0].type == "text" and final.content[0].text == TEXT
    uses = [block for block in final.content if block.type == "tool_use"]
    if tools:
        assert final.stop_reason == "tool_use"
        (use,) = uses
        assert use.name == "send_email"
        assert_tool_arguments("".join(json_deltas), placeholder, rehydrated=True)
        assert_tool_arguments(use.input, placeholder, rehydrated=True)
    else:
        assert final.stop_reason == "end_turn" and uses == []


# ---------------------------------------------------------------------------
# Hard negative: without `rehydrate_tool_arguments` (the default), the tool
# gets the placeholder while the user still reads the value in the text.


def test_tool_arguments_keep_placeholders_by_default(gateway, mock):
    mock.clear()
    oa, an = openai_client(gateway), anthropic_client(gateway)
    shape = STREAM_SHAPES["deltas_of_1"]

    chat = oa.chat.completions.create(model="gpt-4o-mini", tools=CHAT_TOOLS,
                                      messages=[{"role": "user", "content": TEXT}])
    placeholder = upstream_placeholder(mock, "/v1/chat/completions")
    assert chat.choices[0].message.content == TEXT
    assert_tool_arguments(chat.choices[0].message.tool_calls[0].function.arguments, placeholder,
                          rehydrated=False)

    with oa.responses.stream(model="gpt-4o-mini", input=responses_input(), tools=RESPONSES_TOOLS,
                             extra_headers=shape) as stream:
        final = stream.get_final_response()
    placeholder = upstream_placeholder(mock, "/v1/responses")
    assert final.output_text == TEXT
    (call,) = [item for item in final.output if item.type == "function_call"]
    assert_tool_arguments(call.arguments, placeholder, rehydrated=False)

    with an.messages.stream(model="claude-test", max_tokens=64, tools=ANTHROPIC_TOOLS,
                            messages=[{"role": "user", "content": TEXT}], extra_headers=shape) as stream:
        message = stream.get_final_message()
    placeholder = upstream_placeholder(mock, "/v1/messages")
    assert message.content[0].text == TEXT
    (use,) = [block for block in message.content if block.type == "tool_use"]
    assert_tool_arguments(use.input, placeholder, rehydrated=False)
