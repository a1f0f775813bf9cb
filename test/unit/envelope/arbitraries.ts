// fast-check arbitraries for envelopes of every catalogued type, built and signed at a fixed time.
import fc from 'fast-check'
import {
  buildCapabilityAdvert, buildClose, buildContribution, buildPresence, buildProposal, buildQuestion, buildReflection,
  buildSecretaryClaim, buildSummary, buildTaskRequest, buildTaskResponse, buildVote, createSigner, newId,
  CLAIM_MODES, CONTRIBUTION_KINDS, OPERATIONS, ORIGINS, OUTCOMES, PRESENCE_EVENTS, RESOLUTIONS, RISKS, ROLES, SCOPES,
  SUMMARY_STATUSES, URGENCIES, VOTES, type EnvelopeBase, type Signer
} from '../../../src/envelope/index.ts'

export const NOW = Date.parse('2026-03-17T18:42:11Z')
export const signerA = createSigner(new Uint8Array(32).fill(0x29), 'fed:orbiplex-pl')
export const signerB = createSigner(new Uint8Array(32).fill(0x07), 'fed:default')
export const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

const str = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' })
const labels = fc.array(str, { maxLength: 5 })
const unit = fc.double({ min: 0, max: 1, noNaN: true })
const qid = fc.constant(0).map(() => newId('question', NOW - 1000))
const cid = fc.constant(0).map(() => newId('contribution', NOW - 1000))
const item = fc.record({ text: str, confidence: unit, sources: fc.array(str, { minLength: 1, maxLength: 3 }) })
const createdAt = fc.integer({ min: NOW - 600_000, max: NOW }).map((t) => new Date(t))

export function arbEnvelope (signer: Signer = signerA): fc.Arbitrary<EnvelopeBase> {
  const opts = createdAt.map((c) => ({ createdAt: c }))
  return fc.oneof(
    fc.tuple(fc.record({
      text: str, scope: fc.constantFrom(...SCOPES, 'private-to-swarm'), ttlSec: fc.integer({ min: 3600, max: 86400 }), urgency: fc.constantFrom(...URGENCIES),
      tags: labels, followUps: fc.boolean(), requireModels: labels, excludeModels: labels, minReputation: unit, languages: labels
    }), opts).map(([q, o]) => buildQuestion(signer, q, o)),
    fc.tuple(fc.record({ questionId: qid, kind: fc.constantFrom(...CONTRIBUTION_KINDS), text: str, confidence: unit, sources: labels, inReplyTo: fc.option(cid, { nil: undefined }), origin: fc.constantFrom(...ORIGINS) }), opts)
      .map(([c, o]) => buildContribution(signer, c, o)),
    fc.tuple(fc.record({ questionId: qid, event: fc.constantFrom(...PRESENCE_EVENTS), role: fc.constantFrom(...ROLES) }), opts).map(([p, o]) => buildPresence(signer, p, o)),
    fc.tuple(fc.record({ questionId: qid, mode: fc.constantFrom(...CLAIM_MODES), reason: fc.string(), askerNodeId: fc.constant(signerB.nodeId) }), opts).map(([c, o]) => buildSecretaryClaim(signer, c, o)),
    fc.tuple(fc.record({
      questionId: qid, status: fc.constantFrom(...SUMMARY_STATUSES), facts: fc.array(item, { maxLength: 3 }), hypotheses: fc.array(item, { maxLength: 3 }),
      recommendations: fc.array(item, { maxLength: 3 }), uncertainty: unit, contributors: fc.constant(0).map(() => [signerB.nodeId]),
      excluded: fc.array(fc.record({ contribution: cid, reason: fc.string() }), { maxLength: 2 })
    }), opts).map(([m, o]) => buildSummary(signer, m, o)),
    fc.tuple(fc.record({ questionId: qid, resolution: fc.constantFrom(...RESOLUTIONS), accepted: fc.array(cid, { maxLength: 3 }), handedOffTo: fc.option(str, { nil: undefined }), note: fc.option(fc.string(), { nil: undefined }) }), opts)
      .map(([c, o]) => buildClose(signer, c, o)),
    fc.tuple(fc.record({
      peerId: fc.constant(PEER), capabilities: labels, taskTypes: labels, models: labels, languages: labels, queueLength: fc.nat(), running: fc.nat(100),
      sequence: fc.nat(), expiresAt: fc.integer({ min: NOW + 60_000, max: NOW + 600_000 })
    }), opts).map(([a, o]) => buildCapabilityAdvert(signer, a, o)),
    fc.tuple(fc.record({ category: str, description: str, outcome: fc.constantFrom(...OUTCOMES), recommendations: labels, tags: labels }), opts).map(([r, o]) => buildReflection(signer, r, o)),
    fc.tuple(fc.record({
      file: str, operation: fc.constantFrom(...OPERATIONS), rationale: str, risk: fc.constantFrom(...RISKS), reasons: labels,
      contentHash: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`), { nil: null }), deadline: fc.integer({ min: NOW + 60_000, max: NOW + 86_400_000 })
    }), opts).map(([p, o]) => buildProposal(signer, p, o)),
    fc.tuple(fc.record({ proposalId: fc.constant(0).map(() => newId('proposal')), vote: fc.constantFrom(...VOTES), reason: fc.string() }), opts).map(([v, o]) => buildVote(signer, v, o)),
    fc.tuple(fc.record({ correlationId: str, taskType: str, data: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), requirements: labels, deadline: fc.constant(NOW + 60_000) }), opts)
      .map(([t, o]) => buildTaskRequest(signer, t, o)),
    fc.tuple(fc.boolean(), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), str, fc.nat(), opts).map(([success, result, message, durationMs, o]) =>
      buildTaskResponse(signer, { correlationId: 'c1', success, result: success ? result : undefined, error: success ? undefined : { code: 'failed', message }, executedBy: PEER, durationMs }, o))
  )
}

/** A deep copy with every object's keys in a shuffled order (what another implementation may send). */
export function shuffleKeys (value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd))
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [entries[i], entries[j]] = [entries[j], entries[i]]
  }
  // fromEntries defines own properties, so a `__proto__` key stays a key
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rnd)]))
}

export type Path = Array<string | number>

/** Every path to a value inside the signed part (everything but `signature`), leaves and containers. */
export function signedPaths (value: unknown, at: Path = []): Path[] {
  const out: Path[] = at.length > 0 ? [at] : []
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...signedPaths(v, [...at, i])))
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) if (!(at.length === 0 && k === 'signature')) out.push(...signedPaths(v, [...at, k]))
  }
  return out
}

/** A copy with the value at `path` changed to something else of any kind. */
export function mutateAt (env: unknown, path: Path, variant: number): unknown {
  const copy = structuredClone(env) as any
  let parent = copy
  for (const p of path.slice(0, -1)) parent = parent[p]
  const key = path[path.length - 1]
  const old = parent[key]
  const options: unknown[] = []
  if (typeof old === 'string') options.push(old + 'x', old.slice(1), old.toUpperCase() === old ? old.toLowerCase() + '!' : old.toUpperCase())
  if (typeof old === 'number') options.push(old + 1, -old - 1, old / 3 + 0.5)
  if (typeof old === 'boolean') options.push(!old)
  if (Array.isArray(old)) options.push([...old, 'extra'], old.slice(1), [...old].reverse().concat([0]))
  if (typeof old === 'object' && old !== null && !Array.isArray(old)) options.push({ ...old, extra: 1 }, {})
  options.push(null, 'changed', 0)
  let next = options[variant % options.length]
  if (JSON.stringify(next) === JSON.stringify(old)) next = { changed: true }
  if (Array.isArray(parent) || variant % 7 !== 6) parent[key] = next
  else delete parent[key] // dropping a field is a change too
  return copy
}
