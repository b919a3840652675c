#!/usr/bin/env node
// Evaluates a table of IAM requests with @cloud-copilot/iam-simulate, an
// independent IAM policy evaluation engine (pinned in package-lock.json,
// installed by tests/run.sh with `npm ci`). Test-only: tests/iam_eval.rs
// writes the table and reads the answers; nothing of this ships with sluice.
//
//   node tests/iam/harness.mjs CASES.json > ANSWERS.jsonl
//
// CASES.json is a JSON array of cases:
//   { "name": "...",
//     "identityPolicies": [doc, ...],          // the caller's own policies
//     "resourcePolicy": doc | null,            // bucket, queue, key or trust policy
//     "sessionPolicy": doc | null,             // a federation token's policy
//     "request": { "principal": ARN | "s3.amazonaws.com" | ...,
//                  "action": "s3:GetObject", "resource": ARN,
//                  "resourceAccount": "123456789012",   // S3 ARNs have no account field
//                  "context": { "aws:SourceArn": "...", ... } } }
//
// One JSON line per case on stdout, in order:
//   { "name", "decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//     "errors"?, "ignoredContextKeys"?, "grants"?, "denials"? }
// The engine fills in no context key itself: the table gives each one as AWS
// would send it. A key the engine does not associate with the action is
// dropped by it and reported in ignoredContextKeys (the Rust side treats that
// as a mistake in the table). A single-valued key given an array is an Error.

import { readFileSync } from 'node:fs';
import {
  getDenialReasons,
  getGrantReasons,
  isConditionKeyArray,
  isWildcardOnlyAction,
  runSimulation,
  typeForContextKey
} from '@cloud-copilot/iam-simulate';
import {
  createValidatedPolicy,
  loadPolicy,
  validateIdentityPolicy,
  validateResourcePolicy
} from '@cloud-copilot/iam-policy';

// Package internals, imported by file URL, for one case only: a request
// resource with a literal `*` in it (an S3 key under a prefix such as `a*b/`).
// runSimulation takes any `*` in the request's resource as a pattern and
// answers whether some matching resource is allowed, which is wrong for a
// concrete key; such a case is validated by runSimulation on a stand-in ARN
// and then authorised by the core engine with a resource that has no
// wildcards. Re-check these paths whenever the pin moves.
const SIM_ESM = new URL('./', import.meta.resolve('@cloud-copilot/iam-simulate'));
const { authorize } = await import(new URL('core_engine/CoreSimulatorEngine.js', SIM_ESM));
const { normalizeSimulationParameters } = await import(
  new URL('simulation_engine/simulationEngine.js', SIM_ESM)
);
const { AwsRequestImpl } = await import(new URL('request/request.js', SIM_ESM));
const { ResourceRequestImpl } = await import(new URL('request/requestResource.js', SIM_ESM));
const { RequestContextImpl } = await import(new URL('requestContext.js', SIM_ESM));
const { DiscoveryContextKeyConstraints } = await import(
  new URL('context_keys/discoveryContextKeyConstraints.js', SIM_ESM)
);

class LiteralResource extends ResourceRequestImpl {
  hasWildcards() {
    return false;
  }
}
class LiteralResourceRequest extends AwsRequestImpl {
  get resource() {
    return new LiteralResource(this.resourceIdentifier.resource, this.resourceIdentifier.accountId);
  }
}

// The same document is validated once.
const validatedCache = new Map();
function validated(kind, doc, validate) {
  const key = kind + '\u0000' + JSON.stringify(doc);
  let v = validatedCache.get(key);
  if (!v) {
    v = createValidatedPolicy(doc, validate);
    validatedCache.set(key, v);
  }
  return v;
}

const arrayKeys = new Map();
async function isArrayKey(key) {
  const k = key.toLowerCase();
  if (!arrayKeys.has(k)) {
    let answer;
    try {
      answer = isConditionKeyArray(await typeForContextKey(k));
    } catch {
      answer = undefined;
    }
    arrayKeys.set(k, answer);
  }
  return arrayKeys.get(k);
}

function accountOf(arn) {
  const parts = String(arn).split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? parts[4] : '';
}

function simulation(c) {
  const req = c.request;
  const accountId = req.resourceAccount ?? accountOf(req.resource);
  if (!accountId) {
    throw new Error(`request.resourceAccount is needed for ${req.resource}`);
  }
  const context = {};
  for (const [k, v] of Object.entries(req.context ?? {})) {
    context[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  const sim = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId },
      contextVariables: context
    },
    identityPolicies: (c.identityPolicies ?? []).map((policy, i) => ({
      name: `identity-${i}`,
      policy: validated('identity', policy, validateIdentityPolicy)
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  };
  if (c.resourcePolicy) {
    sim.resourcePolicy = validated('resource', c.resourcePolicy, validateResourcePolicy);
  }
  if (c.sessionPolicy) {
    sim.sessionPolicy = validated('identity', c.sessionPolicy, validateIdentityPolicy);
  }
  return sim;
}

// A resource with a literal `*` (see the imports).
async function literalStar(sim) {
  const arn = sim.request.resource.resource;
  const standIn = {
    ...sim,
    request: { ...sim.request, resource: { ...sim.request.resource, resource: arn.replaceAll('*', 'x') } }
  };
  const check = await runSimulation(standIn, {});
  if (check.resultType === 'error') return check;
  const { validContextValues, ignoredContextKeys } = await normalizeSimulationParameters(
    standIn,
    undefined
  );
  const [service, action] = sim.request.action.split(':');
  const load = (p, name) => loadPolicy(p, { name });
  const analysis = authorize({
    request: new LiteralResourceRequest(
      sim.request.principal,
      { resource: arn, accountId: sim.request.resource.accountId },
      sim.request.action,
      new RequestContextImpl(validContextValues),
      await isWildcardOnlyAction(service, action)
    ),
    sessionPolicy: sim.sessionPolicy ? load(sim.sessionPolicy, 'SessionPolicy') : undefined,
    identityPolicies: sim.identityPolicies.map((p) => load(p.policy, p.name)),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: sim.resourcePolicy ? load(sim.resourcePolicy, 'ResourcePolicy') : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: {} }
  });
  return { resultType: 'single', overallResult: analysis.result, result: { analysis, ignoredContextKeys } };
}

async function evaluate(c) {
  const line = { name: c.name };
  try {
    for (const [k, v] of Object.entries(c.request.context ?? {})) {
      if (Array.isArray(v) && (await isArrayKey(k)) === false) {
        return { ...line, decision: 'Error', errors: [`${k} is single-valued: AWS never sends an array`] };
      }
    }
    const sim = simulation(c);
    const arn = sim.request.resource.resource;
    const res = arn !== '*' && arn.includes('*') ? await literalStar(sim) : await runSimulation(sim, {});
    if (res.resultType === 'error') return { ...line, decision: 'Error', errors: res.errors };
    line.decision = res.overallResult;
    const single = res.resultType === 'single' ? res.result : res.results[0];
    if (single?.ignoredContextKeys?.length) line.ignoredContextKeys = single.ignoredContextKeys;
    if (single?.analysis) {
      if (line.decision === 'Allowed') line.grants = getGrantReasons(single.analysis);
      else line.denials = getDenialReasons(single.analysis);
    }
    return line;
  } catch (e) {
    return { ...line, decision: 'Error', errors: [String(e?.message ?? e)] };
  }
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node harness.mjs CASES.json\n');
  process.exit(2);
}
const cases = JSON.parse(readFileSync(file, 'utf8'));
const started = process.hrtime.bigint();
const out = [];
for (const c of cases) out.push(JSON.stringify(await evaluate(c)));
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stderr.write(`iam harness: ${cases.length} cases evaluated in ${Math.round(ms)} ms\n`);
