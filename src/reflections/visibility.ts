// What leaves a node (DESIGN.md): the one rule deciding whether a stored reflection may be
// served to an audience. Pure, so the knowledge responder, the reflections answerer and the
// property tests apply exactly the same verdict.
//
// - The node itself sees everything (its own search, knowledge and questions).
// - Anyone else sees only `shared` reflections, and only within the scope shared into: members
//   of the reflection's federation. An operator may widen this per federation in config
//   (`reflections.serve`): `all` also serves local reflections to that federation's members,
//   `shared` serves shared reflections to a federation they were not shared into, `none` nothing.
// - A reflection learned from a private question is served only when every reader is one of
//   that question's recipients, whatever the config says.
// - An audience with no federation (a global or cross-federation channel anyone may read) gets
//   nothing: no federation scope covers it.

import { visibilityOf, type ReflectionRecord } from './model.ts'

export type ServeLevel = 'none' | 'shared' | 'all'

/** Who will read what is served. */
export type Audience =
  | { self: true }
  | {
    self: false
    /** The federation every reader belongs to (checked by admission in a closed one); undefined: anyone may read. */
    federation: string | undefined
    /** The node ids that will read it (the querying peer; a private channel's asker and recipients); undefined: every member. */
    readers?: string[]
  }

export interface ServePolicy {
  /** This node's federation: its default level is `shared`, every other federation's `none`. */
  federation: string
  /** `reflections.serve` from config: explicit levels per federation id. */
  overrides: Readonly<Record<string, ServeLevel>>
}

export function serveLevel (policy: ServePolicy, federation: string): ServeLevel {
  return policy.overrides[federation] ?? (federation === policy.federation ? 'shared' : 'none')
}

/** Whether `r` may be served to `audience` under `policy`. */
export function mayServe (r: Pick<ReflectionRecord, 'visibility' | 'source' | 'scope'>, audience: Audience, policy: ServePolicy): boolean {
  if (audience.self) return true
  const fed = audience.federation
  if (fed === undefined) return false
  const recipients = r.scope?.recipients
  const readers = audience.readers
  if (recipients !== undefined && (readers === undefined || readers.length === 0 || !readers.every((n) => recipients.includes(n)))) return false
  const level = serveLevel(policy, fed)
  if (level === 'none') return false
  if (visibilityOf(r) === 'local') return level === 'all'
  // shared into its federation; another federation only by the operator's explicit word
  const into = r.scope?.federation ?? policy.federation
  return into === fed || policy.overrides[fed] !== undefined
}

/** The question fields the audience of a remote question's channel depends on. */
export interface QuestionAudienceInput {
  sender: { 'node/id': string, 'federation/id': string }
  delivery: { scope: string }
}

/**
 * Who reads a contribution to a remote question: a federation-local channel's readers are that
 * federation's members; a private one's are its asker and recipients (`to`), of the asker's
 * federation; global and cross-federation channels may be read by anyone (no federation).
 */
export function questionAudience (q: QuestionAudienceInput, to?: string[]): Audience {
  const fed = q.sender['federation/id']
  switch (q.delivery.scope) {
    case 'federation-local': return { self: false, federation: fed }
    case 'private':
    case 'private-to-swarm': return { self: false, federation: fed, readers: [q.sender['node/id'], ...(to ?? [])] }
    default: return { self: false, federation: undefined }
  }
}

/** The policy's non-default entries, as `swarm status` reports them. */
export function describePolicy (policy: ServePolicy): { federation: string, default: ServeLevel, overrides: Record<string, ServeLevel> } {
  return { federation: policy.federation, default: 'shared', overrides: { ...policy.overrides } }
}
