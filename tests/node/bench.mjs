// SPDX-License-Identifier: Apache-2.0
// Component latency under Node (jco): module load + instantiate, engine
// create, scan and sanitize. Prints a few lines for BENCHMARKS.md.
// Run after `tests/node/run` (needs gen/): node bench.mjs [iterations]
import { performance } from 'node:perf_hooks';

const n = Number(process.argv[2] ?? 200);
let t = performance.now();
const { engine } = await import('./gen/shroud.js');
const load = performance.now() - t;
t = performance.now();
const e = engine.Engine.create('{}');
const create = performance.now() - t;
const text = 'Mail jürgen.müller@example.com or call +49 30 1234567; key sk-proj-Zq3vK9mX2bT7wR4pL8nY1cF6hJ0dS5aG. '.repeat(10);
const body = new TextEncoder().encode(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text.slice(0, 300) }] }));
function time(f) {
  for (let i = 0; i < 10; i++) f();
  const s = [];
  for (let i = 0; i < n; i++) { const a = performance.now(); f(); s.push(performance.now() - a); }
  s.sort((a, b) => a - b);
  return `p50 ${s[Math.floor(n / 2)].toFixed(3)} ms, p99 ${s[Math.floor(n * 0.99)].toFixed(3)} ms`;
}
console.log(`node ${process.version}: load+instantiate ${load.toFixed(1)} ms, Engine.create('{}') ${create.toFixed(1)} ms`);
console.log(`scan ${text.length} chars (30 findings): ${time(() => e.scan(text))}`);
console.log(`sanitize ${body.length}-byte chat body: ${time(() => { try { e.sanitize({ surface: 'openai-chat', headers: [], body }); } catch {} })}`);
