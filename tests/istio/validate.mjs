// SPDX-License-Identifier: Apache-2.0
// Validates the shipped Istio WasmPlugin files offline against Istio's
// published CRD schema (@kubernetes-models/istio), plus Shroud's own rules:
// failStrategy FAIL_CLOSE or FAIL_RELOAD (FAIL_OPEN would forward raw bodies
// when the VM fails), a phase, and pluginConfig as an object. Then proves the
// check can fail: a FAIL_OPEN copy is flagged, a malformed one rejected.
//
// Usage: node validate.mjs [FILE...]  (default: envoy-config/istio/*.yaml)
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { WasmPlugin } from "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SAFE_FAIL_STRATEGIES = ["FAIL_CLOSE", "FAIL_RELOAD"];

/** Problems with one WasmPlugin object; empty when it is fine. */
export function problems(obj) {
  const out = [];
  try {
    new WasmPlugin(obj).validate();
  } catch (e) {
    out.push(`schema: ${e.message}`);
  }
  const spec = obj?.spec ?? {};
  if (!SAFE_FAIL_STRATEGIES.includes(spec.failStrategy)) {
    out.push(
      `spec.failStrategy must be ${SAFE_FAIL_STRATEGIES.join(" or ")}, got ${spec.failStrategy ?? "none (FAIL_CLOSE by default, say so)"}`,
    );
  }
  if (!spec.phase) out.push("spec.phase must be set (STATS: after authn/authz)");
  if (spec.pluginConfig !== undefined && (typeof spec.pluginConfig !== "object" || Array.isArray(spec.pluginConfig))) {
    out.push("spec.pluginConfig must be an object");
  }
  return out;
}

function wasmPlugins(file) {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS();
    })
    .filter((obj) => obj?.kind === "WasmPlugin");
}

const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(join(root, "envoy-config/istio"))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(root, "envoy-config/istio", f));

let failed = false;
let checked = 0;
for (const file of files) {
  const name = relative(root, file);
  for (const obj of wasmPlugins(file)) {
    checked += 1;
    const found = problems(obj);
    console.log(`${name}: WasmPlugin ${obj.metadata?.name}: ${found.length ? "FAIL" : "ok"}`);
    for (const p of found) console.log(`  ${p}`);
    failed ||= found.length > 0;
  }
}
if (checked === 0) {
  console.log("no WasmPlugin found");
  failed = true;
}

// The check must be able to fail.
const [sample] = wasmPlugins(files[0] ?? "");
const variants = {
  "failStrategy FAIL_OPEN": { ...sample, spec: { ...sample.spec, failStrategy: "FAIL_OPEN" } },
  "unknown phase": { ...sample, spec: { ...sample.spec, phase: "LATE" } },
  "url not a string": { ...sample, spec: { ...sample.spec, url: 42 } },
  "pluginConfig a string": { ...sample, spec: { ...sample.spec, pluginConfig: "{}" } },
};
for (const [what, obj] of Object.entries(variants)) {
  const found = problems(obj);
  console.log(`negative: ${what}: ${found.length ? "rejected" : "ACCEPTED"}`);
  failed ||= found.length === 0;
}
process.exit(failed ? 1 : 0);
