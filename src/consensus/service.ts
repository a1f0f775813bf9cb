// The consensus service: before a risky change to its own code a node asks its federation to
// vote. Proposer side: assess the risk, sign the proposal, fix the electorate (electorate.ts),
// send each elector the proposal and its content over /swarm/consensus/1.0.0 until the
// deadline, tally, store, audit and emit `swarm:consensus-result`. Voter side: verify the
// proposal and its content, judge the risk itself, vote by policy (auto, rules) or put it to
// the operator (ask) and answer with a signed vote on the same stream.

import { createHash } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_CONSENSUS } from '../constants.ts'
import { NotFoundError, SwarmError } from '../errors.ts'
import { buildProposal, buildVote, EnvelopeValidator, type ProposalEnvelope, type VoteEnvelope } from '../envelope/index.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { hasBoundId } from '../envelope/bound-id.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { handle, type MethodParams } from '../control/methods/index.ts'
import type { Logger } from '../kernel/logger.ts'
import { CONSENSUS_TIMEOUT_MS, MAX_CONTENT_CHARS, MAX_CONSENSUS_TIMEOUT_SEC } from './constants.ts'

export { MAX_CONSENSUS_TIMEOUT_SEC } from './constants.ts'
import { PendingVotes, type PendingProposal } from './pending.ts'
import { decideVote, type Vote, type VoteDecision, type VotePolicy } from './policy.ts'
import { ProposalStore, type ConsensusResult, type ConsensusVote, type VoterRecord } from './proposals.ts'
import { askVoter, contentFrame, handleProposals, type ContentFrame, type StatusFrame, type VoterAnswer, type VoterSession } from './protocol.ts'
import { fixElectorate, peerIdOfNode, type ConnectedPeer } from './electorate.ts'
import { TokenBuckets } from '../federation/token-bucket.ts'
import { assessRisk, type Operation, type Risk } from './risk.ts'
import { fallbackResult, tally } from './tally.ts'

const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 }
/** Proposals judged per proposer: parsing a large change costs real CPU, and proposals are human-paced. */
const PROPOSAL_RATE = { ratePerSec: 0.5, burst: 10 }

export type ConsensusComponents = Pick<SwarmComponents, 'config' | 'identity' | 'db' | 'libp2p' | 'control' | 'events' | 'counters' | 'log' | 'audit' | 'directory' | 'membership'>

export interface ProposeParams {
  file: string
  operation?: Operation
  content?: string
  previousContent?: string
  rationale?: string
  timeoutSec?: number
}

interface Voter {
  peer: PeerId
  peerId: string
  nodeId: string
}

export class ConsensusService implements SwarmService {
  readonly name = 'consensus'
  private readonly c: ConsensusComponents
  private readonly log: Logger
  private readonly store: ProposalStore
  private readonly pending = new PendingVotes()
  private readonly validator: EnvelopeValidator
  private readonly proposalBuckets = new TokenBuckets(PROPOSAL_RATE, { maxKeys: 4096 })
  private stopper = new AbortController()
  private started = false
  private readonly numbers = { proposed: 0, approved: 0, rejected: 0, fallback: 0, votesCast: 0, refused: 0 }

  constructor (components: ConsensusComponents) {
    this.c = components
    this.log = components.log.child('consensus')
    this.store = new ProposalStore(components.db.bucket('consensus'))
    this.validator = new EnvelopeValidator({ clockSkewSec: components.config.bus.clockSkewSec })
  }

  async start (): Promise<void> {
    this.stopper = new AbortController()
    const { control } = this.c
    handle(control, 'consensus.propose', async (params, ctx) => await this.propose(params, ctx.signal))
    handle(control, 'consensus.pending', async () => this.pending.list())
    handle(control, 'consensus.vote', async (params) => await this.operatorVote(params))
    handle(control, 'consensus.get', async (params) => {
      const rec = await this.store.get(params.id)
      if (rec === undefined) throw new NotFoundError('proposal', params.id)
      return { ...rec, audit: await this.c.audit.list({ correlationId: params.id, limit: 1000 }) }
    })
    handle(control, 'consensus.list', async (params) => await this.store.list(params.limit ?? 50))
    await handleProposals(this.c.libp2p, async (bytes, content, from, session) => await this.onProposal(bytes, content, from, session), { signal: this.stopper.signal })
    this.started = true
  }

  async stop (): Promise<void> {
    this.stopper.abort()
    this.pending.clear()
    if (this.started) await this.c.libp2p.unhandle(PROTOCOL_CONSENSUS).catch(() => {})
    this.started = false
  }

  stats (): Record<string, unknown> {
    return { consensus: { ...this.numbers, pending: this.pending.size } }
  }

  // ---- proposer side ----

  async propose (p: ProposeParams, signal?: AbortSignal): Promise<ConsensusResult> {
    const { config, identity } = this.c
    const operation = p.operation ?? 'modify'
    const content = operation === 'delete' ? undefined : p.content
    const assessment = assessRisk({ file: p.file, operation, content, previousContent: p.previousContent, coreFiles: config.consensus.coreFiles })
    const timeoutMs = p.timeoutSec !== undefined ? p.timeoutSec * 1000 : (config.consensus.timeoutSec * 1000 || CONSENSUS_TIMEOUT_MS)
    // Whole seconds (the envelope's precision), rounded up so the wait is never shorter than asked.
    const deadline = Math.ceil((Date.now() + timeoutMs) / 1000) * 1000
    const contentHash = content === undefined ? null : `sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`
    const proposal = buildProposal(identity, {
      file: p.file,
      operation,
      rationale: p.rationale ?? `${operation} ${p.file}`,
      risk: assessment.risk,
      reasons: assessment.reasons,
      contentHash,
      deadline
    })
    this.numbers.proposed++
    const own = this.ownVote({ file: p.file, operation, risk: assessment.risk, dynamicExecution: assessment.dynamicExecution, reasons: assessment.reasons })
    const record = { role: 'proposer' as const, id: proposal.id, proposal: proposal as unknown as Record<string, unknown>, voteEnvelopes: [] as Array<Record<string, unknown>> }
    await this.store.put(record)
    await this.audit('consensus.proposal', proposal.id, { proposal, proposerVote: own })
    this.log.info('proposal sent', { id: proposal.id, file: p.file, risk: assessment.risk })

    const text = JSON.stringify(proposal)
    // fixed now: whoever connects, disconnects or claims a federation later changes nothing
    const membership = this.c.membership
    const electorate = fixElectorate({
      self: identity.nodeId,
      federation: identity.federation,
      closed: membership?.closed() === true,
      whyNotMember: (id) => membership === undefined ? 'no membership book' : membership.whyNot(id),
      voters: config.consensus.voters ?? [],
      connected: this.connectedPeers()
    })
    const excluded: ConsensusResult['excluded'] = electorate.excluded
    const voters: Voter[] = []
    const notes: ConsensusResult['notes'] = []
    for (const nodeId of electorate.ask) {
      const peer = peerIdOfNode(nodeId)
      if (peer === undefined) notes.push({ nodeId, note: 'not a did:key node id: cannot be asked' })
      else voters.push({ peer, peerId: peer.toString(), nodeId })
    }
    const opSignal = signal === undefined ? this.stopper.signal : AbortSignal.any([signal, this.stopper.signal])
    const frame = contentFrame(content, p.previousContent)
    const answers = await Promise.all(voters.map(async (v) => await askVoter(this.c.libp2p, v.peer, text, frame, { deadline, signal: opSignal })))

    const votes: ConsensusVote[] = []
    let reached = 0
    for (let i = 0; i < voters.length; i++) {
      const v = voters[i]
      const verdict = this.judgeAnswer(v, answers[i], proposal.id)
      if (verdict.reached) reached++
      if (verdict.vote !== undefined) {
        votes.push(verdict.vote)
        record.voteEnvelopes.push(verdict.envelope as unknown as Record<string, unknown>)
        await this.audit('consensus.vote', proposal.id, { ...verdict.vote, envelope: verdict.envelope })
      } else {
        notes.push({ nodeId: v.nodeId, note: verdict.why })
      }
    }
    if (signal?.aborted === true) throw new SwarmError('aborted', 'the proposal was cancelled')

    const base = {
      id: proposal.id,
      file: p.file,
      operation,
      risk: assessment.risk,
      reasons: assessment.reasons,
      dynamicExecution: assessment.dynamicExecution,
      contentHash,
      deadline: proposal.deadline,
      electorate: electorate.kind,
      electors: electorate.electors,
      excluded,
      notes,
      decidedAt: new Date().toISOString()
    }
    let result: ConsensusResult
    const ownVote: ConsensusVote = { voter: identity.nodeId, vote: own.vote, reason: own.reason }
    if (reached === 0) {
      // No elector could be asked: the operator's fallback decides, labelled.
      const fb = fallbackResult(this.c.config.consensus.fallback)
      this.numbers.fallback++
      result = { ...base, consensus: fb.consensus, reason: fb.reason, votes: [ownVote], yes: own.vote === 'yes' ? 1 : 0, no: own.vote === 'no' ? 1 : 0, silent: [], eligible: 1 }
    } else {
      const t = tally({ eligible: electorate.electors, votes, proposer: identity.nodeId, proposerVote: own.vote })
      const counted = new Set<string>([identity.nodeId])
      const list: ConsensusVote[] = [ownVote]
      for (const v of votes) if (!counted.has(v.voter)) { counted.add(v.voter); list.push(v) }
      result = { ...base, consensus: t.approved, reason: t.approved ? 'approved' : 'rejected', votes: list, yes: t.yes, no: t.no, silent: t.silent, eligible: t.eligible }
      if (t.approved) this.numbers.approved++
      else this.numbers.rejected++
    }
    await this.store.put({ ...record, result })
    await this.audit('consensus.result', proposal.id, result)
    this.c.events.emit('swarm:consensus-result', result as unknown as Record<string, unknown>)
    this.log.info('consensus result', { id: proposal.id, consensus: result.consensus, reason: result.reason, yes: result.yes, eligible: result.eligible })
    return result
  }

  /** The proposer's own vote: its policy, except `ask` (its operator is the one proposing: yes). */
  private ownVote (facts: Parameters<typeof decideVote>[1]): VoteDecision {
    return decideVote(this.policy(), facts) ?? { vote: 'yes', reason: 'proposer: the operator proposed the change' }
  }

  private policy (): VotePolicy {
    const cfg = this.c.config.consensus
    return cfg.vote === 'rules' ? cfg.rules : cfg.vote
  }

  /** Every connected peer with an Ed25519 key (its node id), once, with the federation its signed advert names. */
  private connectedPeers (): ConnectedPeer[] {
    const seen = new Map<string, ConnectedPeer>()
    for (const conn of this.c.libp2p.getConnections()) {
      const peerId = conn.remotePeer.toString()
      if (seen.has(peerId)) continue
      const nodeId = nodeIdFromPeerId(conn.remotePeer)
      if (nodeId === undefined) continue
      const advert = this.c.directory.get(nodeId)
      // the directory holds adverts that verified, keyed by their signer: the advert is the peer's own word, signed
      seen.set(peerId, advert !== undefined ? { peerId, nodeId, advertised: advert.federation } : { peerId, nodeId })
    }
    return [...seen.values()]
  }

  /**
   * What an elector answered. Its vote counts only when signed by the elector itself, as a
   * member of our federation, for this proposal; anything else leaves it silent, with a note.
   */
  private judgeAnswer (v: Voter, a: VoterAnswer, proposalId: string): { reached: boolean, why: string, vote?: ConsensusVote, envelope?: VoteEnvelope } {
    const ours = this.c.identity.federation
    if (a.kind === 'refused') return { reached: true, why: `refused: ${a.reason}${a.detail === '' ? '' : ` (${a.detail})`}` }
    if (a.kind === 'silent') return { reached: a.reached, why: a.error }
    const verdict = this.validator.validateSync(a.text, { expectType: 'swarm/vote', checkExpiry: false })
    if (!verdict.ok) {
      this.c.counters.inc('envelopes.rejected', verdict.reason)
      return { reached: true, why: `bad-vote: ${verdict.reason} ${verdict.detail}` }
    }
    const env = verdict.envelope as VoteEnvelope
    if (env.sender['node/id'] !== v.nodeId) return { reached: true, why: `bad-vote: signed by ${env.sender['node/id']}, not the elector` }
    if (env.sender['federation/id'] !== ours) return { reached: true, why: `bad-vote: voted as ${env.sender['federation/id']}` }
    if (env['proposal/id'] !== proposalId) return { reached: true, why: `bad-vote: for ${env['proposal/id']}` }
    this.c.counters.inc('envelopes.accepted', 'swarm/vote')
    return { reached: true, why: '', vote: { voter: v.nodeId, vote: env.vote, reason: env.reason }, envelope: env }
  }

  // ---- voter side ----

  private async onProposal (bytes: Uint8Array, readContentFrame: () => Promise<Uint8Array>, from: PeerId, session: VoterSession): Promise<string | StatusFrame> {
    const { identity, config } = this.c
    const ours = identity.federation
    const refuse = (reason: string, detail: string): StatusFrame => {
      this.numbers.refused++
      this.log.debug('proposal refused', { from: from.toString(), reason, detail })
      return { status: 'refused', reason, detail, federation: ours }
    }
    const verdict = this.validator.validateSync(bytes, { expectType: 'swarm/proposal' })
    if (!verdict.ok) {
      this.c.counters.inc(verdict.action === 'reject' ? 'envelopes.rejected' : 'envelopes.ignored', verdict.reason)
      return refuse(verdict.reason, verdict.detail)
    }
    const env = verdict.envelope as ProposalEnvelope
    if (env.sender['node/id'] !== nodeIdFromPeerId(from)) return refuse('key-mismatch', 'the proposal is not signed by the connected peer')
    if (env.sender['federation/id'] !== ours) return refuse('wrong-federation', `this node is in ${ours}, the proposal is for ${env.sender['federation/id']}`)
    const deadline = Date.parse(env.deadline)
    const now = Date.now()
    if (deadline <= now) return refuse('expired', `the deadline ${env.deadline} has passed`)
    if (deadline > now + (MAX_CONSENSUS_TIMEOUT_SEC + config.bus.clockSkewSec) * 1000) return refuse('bad-deadline', `the deadline ${env.deadline} is more than ${MAX_CONSENSUS_TIMEOUT_SEC} s away`)
    if (!this.proposalBuckets.take(env.sender['node/id'])) return refuse('rate-limited', 'too many proposals from this proposer; try again shortly')
    // One proposal per id on this node (a second would overwrite the record and the operator's
    // wait), and ids bound to their proposer: otherwise a voter that got a proposal could race a
    // copy of its id, signed with its own key, to the other voters, who would then refuse the
    // honest one as a duplicate.
    if (!hasBoundId(env)) return refuse('key-mismatch', `proposal id ${env.id} is not bound to its signer`)
    if (this.pending.get(env.id) !== undefined || await this.store.get(env.id) !== undefined) return refuse('duplicate', `${env.id} is already known here`)
    // only now, the proposal judged, is its content frame (up to 4 MiB) read
    const body = readContent(await readContentFrame(), env['content-hash'])
    if (typeof body === 'string') return refuse('bad-content', body)
    this.c.counters.inc('envelopes.accepted', 'swarm/proposal')

    // We judge the change ourselves, on its content and our own core files; the proposer's
    // verdict can only raise ours (a proposer may know more about its file), never lower it.
    const mine = body.missing !== undefined
      ? { risk: 'high' as Risk, reasons: [body.missing], dynamicExecution: false }
      : assessRisk({ file: env.file, operation: env.operation, content: body.content, previousContent: body.previousContent, coreFiles: config.consensus.coreFiles })
    const risk: Risk = RISK_ORDER[mine.risk] >= RISK_ORDER[env.risk] ? mine.risk : env.risk
    const reasons = [...mine.reasons, ...env.reasons.filter((r) => !mine.reasons.includes(r)).map((r) => `proposer: ${r}`)]
    const dynamicExecution = mine.dynamicExecution || env.reasons.some((r) => r.startsWith('dynamic execution'))
    const receivedAt = new Date().toISOString()
    const record: VoterRecord = { role: 'voter', id: env.id, proposal: env as unknown as Record<string, unknown>, state: 'waiting', receivedAt }
    await this.store.put(record)
    await this.audit('consensus.proposal-received', env.id, { proposal: env })

    let decision = decideVote(this.policy(), { file: env.file, operation: env.operation, risk, dynamicExecution, reasons })
    if (decision === null) {
      const info: PendingProposal = {
        id: env.id,
        proposer: env.sender['node/id'],
        peerId: from.toString(),
        federation: env.sender['federation/id'],
        file: env.file,
        operation: env.operation,
        rationale: env.rationale,
        risk,
        reasons,
        contentHash: env['content-hash'],
        content: body.content ?? null,
        previousContent: body.previousContent ?? null,
        deadline: env.deadline,
        receivedAt
      }
      session.waiting(ours)
      this.c.events.emit('consensus:pending', { ...info })
      this.log.info('proposal waits for the operator', { id: env.id, file: env.file, deadline: env.deadline })
      const op = await this.pending.wait(info, AbortSignal.any([session.signal, AbortSignal.timeout(Math.max(0, deadline - Date.now()))]))
      if (op === undefined) {
        await this.store.put({ ...record, state: 'expired' })
        await this.audit('consensus.vote-missed', env.id, { reason: 'the operator did not vote before the deadline' })
        return { status: 'refused', reason: 'no-vote', detail: 'the operator did not vote before the deadline', federation: ours }
      }
      decision = op
      session.written = (ok) => { this.pending.delivered(env.id, ok) }
    }
    const vote = buildVote(identity, { proposalId: env.id, vote: decision.vote, reason: decision.reason })
    this.numbers.votesCast++
    await this.store.put({ ...record, state: 'voted', vote: vote as unknown as Record<string, unknown> })
    await this.audit('consensus.vote-cast', env.id, { vote })
    this.c.events.emit('consensus:vote-cast', { id: env.id, proposer: env.sender['node/id'], vote: decision.vote, reason: decision.reason })
    return JSON.stringify(vote)
  }

  private async operatorVote (params: MethodParams<'consensus.vote'>): Promise<{ id: string, vote: Vote, reason: string, delivered: boolean }> {
    const { id, vote } = params
    const reason = params.reason !== undefined && params.reason !== '' ? params.reason : `operator: ${vote}`
    const sent = this.pending.cast(id, { vote, reason })
    if (sent === undefined) {
      const rec = await this.store.get(id)
      if (rec?.role === 'voter' && rec.state === 'voted') throw new SwarmError('already-voted', `proposal ${id} was already voted on`)
      if (rec?.role === 'voter' && rec.state === 'expired') throw new SwarmError('expired', `proposal ${id} passed its deadline without a vote`)
      throw new NotFoundError('pending proposal', id)
    }
    return { id, vote, reason, delivered: await sent }
  }

  private async audit (kind: string, correlationId: string, detail: unknown): Promise<void> {
    try {
      await this.c.audit.append({ kind, correlationId, detail })
    } catch (err: any) {
      this.log.warn('audit append failed', { kind, id: correlationId, err: err.message })
    }
  }
}

/**
 * The content frame, checked against the signed content-hash: the text to judge, `missing` when
 * the proposer could not send it, or a string saying why the frame is refused.
 */
function readContent (bytes: Uint8Array, contentHash: string | null): { content?: string, previousContent?: string, missing?: string } | string {
  let frame: Partial<ContentFrame>
  try { frame = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) } catch { return 'the content frame is not JSON' }
  if (frame === null || typeof frame !== 'object') return 'the content frame is not an object'
  const { content, 'previous-content': previous } = frame
  if ((content !== null && typeof content !== 'string') || (previous !== null && previous !== undefined && typeof previous !== 'string')) return 'the content frame has non-text content'
  const previousContent = typeof previous === 'string' ? previous : undefined
  if ((content?.length ?? 0) > MAX_CONTENT_CHARS || (previousContent?.length ?? 0) > MAX_CONTENT_CHARS) return `the content frame carries more than ${MAX_CONTENT_CHARS} characters per text`
  if (contentHash === null) {
    if (typeof content === 'string') return 'content sent for a proposal without a content-hash'
    return { previousContent }
  }
  if (typeof content !== 'string') return { missing: `the proposed content did not arrive (${String(frame.omitted ?? 'not sent')}), so it cannot be judged`, previousContent }
  const hash = `sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`
  if (hash !== contentHash) return `the content does not match the proposal's content-hash ${contentHash}`
  return { content, previousContent }
}

export function createConsensusService (components: ConsensusComponents): ConsensusService {
  return new ConsensusService(components)
}
