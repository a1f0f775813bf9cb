// Which new root rotations a node takes in (pure). A rotation is kept only when it chains to a
// root this node trusts now: forward from an old root whose window is still open on the local
// clock (a rotation back-dated into a window that has closed is refused), or backward from a
// trusted new root while the overlap lasts. A root rotates once: a second rotation from the same
// old root is refused as competing, and two new ones from one root in one batch refuse each other.

import { inWindow, type RootWindow } from './trust.ts'
import { rootIdOf, type RotationEnvelope } from './envelopes.ts'

export type RotationRefusal =
  | 'wrong-federation' | 'bad-issuer' | 'bad-countersignature' | 'competing-rotation'
  | 'root-expired' | 'outside-root-window' | 'overlap-ended' | 'unknown-root'

export interface RotationDecision {
  accepted: RotationEnvelope[]
  refused: Array<{ rotation: RotationEnvelope, reason: RotationRefusal }>
}

/**
 * Decides a batch of rotations new to this node against the roots it trusts now and the
 * rotations it already holds. Work is linear in the batch per pass and passes are bounded by
 * the batch (chains inside one batch); the caller caps the batch.
 */
export function admitRotations (
  federation: string,
  roots: ReadonlyMap<string, RootWindow>,
  held: readonly RotationEnvelope[],
  candidates: readonly RotationEnvelope[],
  now: number,
  countersigned: (r: RotationEnvelope) => boolean
): RotationDecision {
  const refused: RotationDecision['refused'] = []
  const local = new Map<string, RootWindow>()
  for (const [k, w] of roots) local.set(k, { ...w })
  const rotatedFrom = new Set(held.map((r) => r['old-root']))
  const byOld = new Map<string, RotationEnvelope[]>()
  for (const r of candidates) {
    if (r['federation/id'] !== federation || r.sender['federation/id'] !== federation) { refused.push({ rotation: r, reason: 'wrong-federation' }); continue }
    if (r.sender.pubkey !== r['old-root'] || r.sender['node/id'] !== rootIdOf(r['old-root']) || r['old-root'] === r['new-root']) { refused.push({ rotation: r, reason: 'bad-issuer' }); continue }
    const list = byOld.get(r['old-root']) ?? []
    list.push(r)
    byOld.set(r['old-root'], list)
  }
  let pending: RotationEnvelope[] = []
  for (const [old, list] of byOld) {
    if (list.length > 1 || rotatedFrom.has(old)) { for (const r of list) refused.push({ rotation: r, reason: 'competing-rotation' }); continue }
    if (!countersigned(list[0])) { refused.push({ rotation: list[0], reason: 'bad-countersignature' }); continue }
    pending.push(list[0])
  }
  const accepted: RotationEnvelope[] = []
  for (let progress = true; progress && pending.length > 0;) {
    progress = false
    const next: RotationEnvelope[] = []
    for (const r of pending) {
      const until = Date.parse(r['overlap-until'])
      const oldRoot = local.get(r['old-root'])
      const newRoot = local.get(r['new-root'])
      if (oldRoot !== undefined) {
        // forward: the old root must still be open now, and was open when it signed
        if (oldRoot.notAfter !== undefined && now > oldRoot.notAfter) { refused.push({ rotation: r, reason: 'root-expired' }); continue }
        if (!inWindow(oldRoot, Date.parse(r['created-at']))) { refused.push({ rotation: r, reason: 'outside-root-window' }); continue }
        if (newRoot === undefined) local.set(r['new-root'], { pubkey: r['new-root'], via: r.id })
        if (oldRoot.notAfter === undefined || oldRoot.notAfter > until) oldRoot.notAfter = until
      } else if (newRoot !== undefined) {
        // backward: the old root is trusted only during the overlap, so one that ended teaches nothing
        if (now > until) { refused.push({ rotation: r, reason: 'overlap-ended' }); continue }
        local.set(r['old-root'], { pubkey: r['old-root'], notAfter: until, via: r.id })
      } else {
        next.push(r)
        continue
      }
      accepted.push(r)
      progress = true
    }
    pending = next
  }
  for (const r of pending) refused.push({ rotation: r, reason: 'unknown-root' })
  return { accepted, refused }
}
