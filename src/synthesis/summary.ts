// The merge of a response channel into a summary: pure and deterministic (same contributions,
// reputations and sub-question summaries → the same bytes, whatever order they arrived in).
// The rules are in docs/assistance.md ("Synthesis"); in short:
//
//   facts ← fact, partial-answer   hypotheses ← hypothesis   recommendations ← recommendation
//   clarification requests, clarifications and objections are not items;
//   an objection (in-reply-to X) multiplies X's confidence by (1 − ½·its confidence);
//   near-duplicates (token Jaccard ≥ 0.8, same polarity, same section) merge and keep all sources;
//   item confidence = reputation-weighted mean of its members' confidences;
//   uncertainty = 1 − C·(1 − 0.15·min(conflicts,3))·(1 − 0.1·min(objections,3))·(1 − few(contributors)).

import type { ContributionEnvelope, SummaryItem } from '../envelope/schemas.ts'

export interface SummaryContent {
  facts: SummaryItem[]
  hypotheses: SummaryItem[]
  recommendations: SummaryItem[]
  uncertainty: number
}

export interface ChannelContribution {
  envelope: ContributionEnvelope
  /** The bus's reason for leaving it out (late, filtered-out, closed, no-follow-ups, …). */
  excluded?: string
}

/** The latest summary of a sub-question: its items become sources of the parent's synthesis. */
export interface SubSummary {
  /** The summary envelope's id (`summary:…`): what the parent's items cite. */
  id: string
  content: Pick<SummaryContent, 'facts' | 'hypotheses' | 'recommendations'>
}

export interface SummaryInput {
  contributions: readonly ChannelContribution[]
  /** Reputation of contributors in the summarizing node's view; others get `defaultReputation`. */
  reputations?: Readonly<Record<string, number>>
  defaultReputation?: number
  subSummaries?: readonly SubSummary[]
}

export interface SummaryResult {
  content: SummaryContent
  /** Node ids of every author of a contribution that was used, sorted. */
  contributors: string[]
  excluded: Array<{ contribution: string, reason: string }>
}

export type Section = 'facts' | 'hypotheses' | 'recommendations'

export const MERGE_THRESHOLD = 0.8
export const CONFLICT_OVERLAP = 0.5
const SECTION_OF: Record<string, Section | undefined> = { fact: 'facts', 'partial-answer': 'facts', hypothesis: 'hypotheses', recommendation: 'recommendations' }
const SECTIONS: Section[] = ['facts', 'hypotheses', 'recommendations']
const STOP = new Set(['a', 'an', 'the', 'is', 'are', 'was', 'were', 'be', 'been', 'of', 'to', 'and', 'or', 'in', 'on', 'at', 'for', 'it', 'its', 'this', 'that', 'do', 'does', 'did', 'by', 'with', 'as'])
const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'cannot', 'without', 'neither', 'nor'])

const round3 = (x: number): number => Math.round(x * 1000) / 1000
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x))
const cmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/** Normalized tokens: NFKD without marks, lower case, contractions expanded, stop words dropped, a trailing plural `s` cut. */
export function tokens (text: string): string[] {
  const plain = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/n['’]t\b/g, ' not')
  const out: string[] = []
  for (const raw of plain.split(/[^\p{L}\p{N}]+/u)) {
    if (raw === '' || STOP.has(raw)) continue
    out.push(raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw)
  }
  return out
}

export function jaccard (a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1
  let inter = 0
  for (const t of a) if (b.has(t)) inter++
  return inter / (a.size + b.size - inter)
}

interface Claim {
  /** Sort key: the contribution id, or `<summary id>#<section>#<index>`. */
  key: string
  source: string
  section: Section
  text: string
  confidence: number
  weight: number
  sender?: string
  words: Set<string>
  negated: boolean
}

interface Cluster { section: Section, members: Claim[], words: Set<string>, negated: boolean }

function claimOf (key: string, source: string, section: Section, text: string, confidence: number, weight: number, sender?: string): Claim {
  const all = tokens(text)
  const negated = all.some((t) => NEGATIONS.has(t))
  const words = new Set(all.filter((t) => !NEGATIONS.has(t)))
  return { key, source, section, text, confidence, weight, sender, words, negated }
}

export function summarize (input: SummaryInput): SummaryResult {
  const def = clamp01(input.defaultReputation ?? 0.5)
  const rep = (nodeId: string): number => clamp01(input.reputations?.[nodeId] ?? def)

  // one entry per id, in id order (ULIDs: creation order), so arrival order cannot matter
  const byId = new Map<string, ChannelContribution>()
  for (const c of input.contributions) if (!byId.has(c.envelope.id)) byId.set(c.envelope.id, c)
  const all = [...byId.values()].sort((a, b) => cmp(a.envelope.id, b.envelope.id))
  const excluded = all.filter((c) => c.excluded !== undefined).map((c) => ({ contribution: c.envelope.id, reason: c.excluded as string }))
  const used = all.filter((c) => c.excluded === undefined).map((c) => c.envelope)

  const objections = used.filter((c) => c.kind === 'objection')
  const against = new Map<string, number[]>()
  for (const o of objections) {
    const target = o['in-reply-to']
    if (target === undefined) continue
    against.set(target, [...(against.get(target) ?? []), o.confidence])
  }

  const claims: Claim[] = []
  for (const c of used) {
    const section = SECTION_OF[c.kind]
    if (section === undefined) continue
    let confidence = c.confidence
    for (const oc of against.get(c.id) ?? []) confidence *= 1 - 0.5 * oc
    claims.push(claimOf(c.id, c.id, section, c.text, confidence, rep(c.sender['node/id']), c.sender['node/id']))
  }
  const subs = [...(input.subSummaries ?? [])].sort((a, b) => cmp(a.id, b.id))
  for (const s of subs) {
    for (const section of SECTIONS) {
      s.content[section].forEach((item, i) => {
        claims.push(claimOf(`${s.id}#${section}#${String(i).padStart(4, '0')}`, s.id, section, item.text, clamp01(item.confidence), def))
      })
    }
  }
  claims.sort((a, b) => cmp(a.key, b.key))

  const clusters: Cluster[] = []
  for (const claim of claims) {
    const home = clusters.find((k) => k.section === claim.section && k.negated === claim.negated && jaccard(k.words, claim.words) >= MERGE_THRESHOLD)
    if (home !== undefined) home.members.push(claim)
    else clusters.push({ section: claim.section, members: [claim], words: claim.words, negated: claim.negated })
  }

  const content: SummaryContent = { facts: [], hypotheses: [], recommendations: [], uncertainty: 1 }
  for (const k of clusters) content[k.section].push(itemOf(k))
  for (const section of SECTIONS) {
    content[section].sort((a, b) => (b.confidence - a.confidence) || cmp(a.sources[0], b.sources[0]) || cmp(a.text, b.text))
  }

  // a fact and a hypothesis (or two facts) about the same thing with opposite polarity
  let conflicts = 0
  const factual = clusters.filter((k) => k.section !== 'recommendations')
  for (let i = 0; i < factual.length; i++) {
    for (let j = i + 1; j < factual.length; j++) {
      const a = factual[i]
      const b = factual[j]
      if (a.negated !== b.negated && jaccard(a.words, b.words) >= CONFLICT_OVERLAP) conflicts++
    }
  }
  const senders = new Set(claims.flatMap((c) => c.sender === undefined ? [] : [c.sender]))
  const voices = senders.size + subs.filter((s) => claims.some((c) => c.source === s.id)).length
  if (claims.length > 0) {
    const wsum = claims.reduce((s, c) => s + c.weight, 0)
    const mean = wsum > 0 ? claims.reduce((s, c) => s + c.weight * c.confidence, 0) / wsum : claims.reduce((s, c) => s + c.confidence, 0) / claims.length
    const few = voices >= 3 ? 0 : voices === 2 ? 0.1 : 0.2
    const kept = mean * (1 - 0.15 * Math.min(conflicts, 3)) * (1 - 0.1 * Math.min(objections.length, 3)) * (1 - few)
    content.uncertainty = round3(clamp01(1 - kept))
  }

  const contributors = [...new Set(used.map((c) => c.sender['node/id']))].sort(cmp)
  return { content, contributors, excluded }
}

function itemOf (k: Cluster): SummaryItem {
  const wsum = k.members.reduce((s, c) => s + c.weight, 0)
  const confidence = wsum > 0
    ? k.members.reduce((s, c) => s + c.weight * c.confidence, 0) / wsum
    : k.members.reduce((s, c) => s + c.confidence, 0) / k.members.length
  // the wording of the member that counts most; ties go to the earliest
  let best = k.members[0]
  for (const m of k.members) if (m.weight * m.confidence > best.weight * best.confidence) best = m
  return { text: best.text, confidence: round3(clamp01(confidence)), sources: [...new Set(k.members.map((m) => m.source))].sort(cmp) }
}
