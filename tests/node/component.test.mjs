// SPDX-License-Identifier: Apache-2.0
// The component under Node, through jco: create an engine, mask a chat
// request, and rehydrate a streamed answer split at every position.
// `tests/node/run` transpiles shroud_component.wasm into gen/ first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engine } from './gen/shroud.js';

const { Engine } = engine;
const enc = new TextEncoder();
const dec = new TextDecoder();

const EMAIL = 'jürgen.müller@example.com';
const PHONE = '+49 30 1234567';

function chatRequest(text) {
  return {
    surface: 'openai-chat',
    path: '/v1/chat/completions',
    headers: [['content-type', 'application/json']],
    profile: undefined,
    contentType: 'application/json',
    body: enc.encode(JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: text }],
    })),
  };
}

function placeholders(text) {
  return text.match(/\[[A-Z][A-Z0-9_]*_[0-9a-z]+\]/g) ?? [];
}

/** An OpenAI chat SSE stream whose deltas carry `pieces`. */
function sse(pieces) {
  const events = pieces.map((p) => `data: ${JSON.stringify({
    id: 'chatcmpl-1', object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content: p }, finish_reason: null }],
  })}\n\n`);
  return events.join('') + 'data: [DONE]\n\n';
}

/** The concatenated delta text of an OpenAI chat SSE stream. */
function sseText(stream) {
  return stream.split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)).choices[0].delta.content ?? '')
    .join('');
}

function maskedChat(e) {
  const outcome = e.sanitize(chatRequest(`Write to ${EMAIL} or call ${PHONE} please`));
  const upstream = dec.decode(outcome.body);
  return { outcome, upstream };
}

test('create reports config errors with their JSON path', () => {
  assert.throws(() => Engine.create('{"detectors":{"nope":1}}'), (err) => {
    assert.match(err.payload.path, /detectors/);
    assert.ok(err.payload.message.length > 0);
    return true;
  });
  assert.throws(() => Engine.createWithModels('{}', [{ name: 'ner.onnx', bytes: new Uint8Array(1) }]),
    (err) => err.payload.message.includes('NER not built in'));
});

test('scan finds values with their offsets', () => {
  const e = Engine.create('{}');
  const text = `mail ${EMAIL} now`;
  const [f] = e.scan(text);
  assert.equal(f.kind, 'email');
  assert.equal(f.category, 'pii');
  assert.equal([...text].slice(f.start, f.end).join(''), EMAIL);
  assert.deepEqual(e.scan('nothing to see'), []);
});

test('a chat request is masked; the values never go upstream', () => {
  const e = Engine.create('{}');
  const { outcome, upstream } = maskedChat(e);
  assert.ok(!upstream.includes(EMAIL), upstream);
  assert.ok(!upstream.includes(PHONE), upstream);
  assert.equal(placeholders(upstream).length, 2, upstream);
  assert.equal(outcome.report.action, 'mask');
  assert.equal(outcome.report.surface, 'openai-chat');
  assert.deepEqual(outcome.report.counts.map((c) => c.kind).sort(), ['email', 'phone_number']);
  assert.equal(outcome.session.maskedValues(), 2);
});

test('a blocked request is refused in the API error shape', () => {
  const e = Engine.create('{"profiles":{"default":{"actions":{"pii":"block"}}}}');
  assert.throws(() => e.sanitize(chatRequest(`mail ${EMAIL}`)), (err) => {
    const rejection = err.payload;
    assert.equal(rejection.status, 403);
    assert.equal(rejection.report.action, 'block');
    const body = JSON.parse(dec.decode(rejection.body));
    assert.ok(body.error, JSON.stringify(body));
    assert.ok(!dec.decode(rejection.body).includes(EMAIL));
    return true;
  });
});

test('a streamed answer is rehydrated however it is split', () => {
  const e = Engine.create('{}');
  const { outcome, upstream } = maskedChat(e);
  const [emailPh, phonePh] = placeholders(upstream);
  const stream = enc.encode(sse([`Sure: I wrote to ${emailPh.slice(0, 4)}`, `${emailPh.slice(4)} and called `, `${phonePh}.`]));
  const want = `Sure: I wrote to ${EMAIL} and called ${PHONE}.`;
  const whole = dec.decode(outcome.session.processResponse('text/event-stream', stream));
  assert.equal(sseText(whole), want);
  for (let cut = 0; cut <= stream.length; cut++) {
    const rs = outcome.session.responseStream('text/event-stream');
    const parts = [rs.push(stream.slice(0, cut)), rs.push(stream.slice(cut)), rs.finish()];
    const out = Buffer.concat(parts.map((p) => Buffer.from(p))).toString('utf8');
    assert.equal(sseText(out), want, `split at byte ${cut}`);
  }
});

test('a plain text stream is rehydrated however it is split', () => {
  const e = Engine.create('{}');
  const { outcome, upstream } = maskedChat(e);
  const [emailPh] = placeholders(upstream);
  const text = `Dear ${emailPh}, [not a placeholder] ✓`;
  for (let cut = 0; cut <= text.length; cut++) {
    const ts = outcome.session.textStream();
    const out = ts.push(text.slice(0, cut)) + ts.push(text.slice(cut)) + ts.finish();
    assert.equal(out, `Dear ${EMAIL}, [not a placeholder] ✓`, `split at ${cut}`);
  }
});
