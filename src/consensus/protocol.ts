// /swarm/consensus/1.0.0: one stream per voter and proposal. The proposer writes the signed
// proposal (one length-prefixed frame, the envelope's JSON text), then the proposed content (a
// second frame, checked by the voter against the proposal's content-hash); the voter answers on the same
// stream with its signed vote envelope, or a status frame: `waiting` (its operator decides;
// repeated as a keep-alive until the vote) or `refused` (wrong-federation, bad proposal, …).
// Both ends use the proposal's deadline as the stream's time limit.

import { lpStream } from '@libp2p/utils'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { PROTOCOL_CONSENSUS, STREAM_TIMEOUT_MS } from '../constants.ts'
import { withTimeout } from '../errors.ts'
import { assertRoutable } from '../net/rpc.ts'

/** A proposal or vote envelope is small; a frame is capped well below the stream default. */
export const MAX_CONSENSUS_FRAME_BYTES = 128 * 1024
/** The content frame carries the new and previous file text (each at most 512 Ki characters). */
export const MAX_CONTENT_FRAME_BYTES = 4 * 1024 * 1024
/** How often a waiting voter repeats `waiting`: below libp2p's 120 s stream inactivity limit. */
export const WAITING_KEEPALIVE_MS = 30_000
/** Concurrent inbound proposals per connection and in all (each may wait for an operator). */
const MAX_INBOUND_STREAMS = 32

export type StatusFrame =
  | { status: 'waiting', federation: string }
  | { status: 'refused', reason: string, detail?: string, federation?: string }

/** What the proposer learnt from one voter. */
export type VoterAnswer =
  | { kind: 'vote', text: string, federation?: string }
  | { kind: 'refused', reason: string, detail: string, federation?: string }
  /** No vote: `reached` says whether the proposal was delivered (then the voter counts silent). */
  | { kind: 'silent', reached: boolean, error: string, federation?: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeFrame (value: unknown): Uint8Array {
  return encoder.encode(typeof value === 'string' ? value : JSON.stringify(value))
}

/** What the voter needs to judge the change itself: the text the proposal's content-hash covers. */
export interface ContentFrame {
  content: string | null
  'previous-content': string | null
  /** Set when the content was left out (`too-large`): the voter cannot judge it. */
  omitted?: string
}

/** The content frame's text, or one saying the content was left out when it does not fit. */
export function contentFrame (content: string | undefined, previousContent: string | undefined): string {
  const text = JSON.stringify({ content: content ?? null, 'previous-content': previousContent ?? null } satisfies ContentFrame)
  if (Buffer.byteLength(text) <= MAX_CONTENT_FRAME_BYTES) return text
  return JSON.stringify({ content: null, 'previous-content': null, omitted: 'too-large' } satisfies ContentFrame)
}

/** Sends the proposal and its content to one peer and waits (until the deadline) for its answer. */
export async function askVoter (libp2p: Libp2p<any>, peer: PeerId, proposal: string, content: string, opts: { deadline: number, signal?: AbortSignal }): Promise<VoterAnswer> {
  const signal = withTimeout(opts.signal, Math.max(0, opts.deadline - Date.now()))
  let stream: Stream | undefined
  let reached = false
  let federation: string | undefined
  try {
    await assertRoutable(libp2p, peer)
    stream = await libp2p.dialProtocol(peer, PROTOCOL_CONSENSUS, { signal, runOnLimitedConnection: true })
    const lp = lpStream(stream, { maxDataLength: MAX_CONSENSUS_FRAME_BYTES })
    await lp.write(encodeFrame(proposal), { signal })
    reached = true
    await lp.write(encodeFrame(content), { signal })
    for (;;) {
      const text = decoder.decode((await lp.read({ signal })).subarray())
      let frame: any
      try { frame = JSON.parse(text) } catch { throw new Error('answer frame is not JSON') }
      if (frame === null || typeof frame !== 'object') throw new Error('answer frame is not an object')
      if (typeof frame.type === 'string') {
        await stream.close({ signal }).catch(() => {})
        return federation === undefined ? { kind: 'vote', text } : { kind: 'vote', text, federation }
      }
      if (frame.status === 'waiting') {
        if (typeof frame.federation === 'string') federation = frame.federation
        continue
      }
      if (frame.status === 'refused') {
        await stream.close({ signal }).catch(() => {})
        const out: VoterAnswer = { kind: 'refused', reason: String(frame.reason ?? 'refused'), detail: String(frame.detail ?? '') }
        if (typeof frame.federation === 'string') out.federation = frame.federation
        return out
      }
      throw new Error('unknown answer frame')
    }
  } catch (err: any) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    const error = signal.aborted ? (opts.signal?.aborted === true ? 'aborted' : 'deadline') : String(err?.message ?? err)
    return federation === undefined ? { kind: 'silent', reached, error } : { kind: 'silent', reached, error, federation }
  }
}

export interface VoterSession {
  /** Aborted when the stream closes (the proposer gave up) or the service stops. */
  signal: AbortSignal
  /** Tells the proposer this voter is a member waiting for its operator; keeps the stream alive. */
  waiting: (federation: string) => void
  /** Set by the handler to learn whether its answer reached the stream. */
  written?: (ok: boolean) => void
}

/**
 * Answers one proposal: a vote envelope's JSON text or a status frame. `content` reads the content
 * frame; the handler calls it only once the proposal itself has passed (a refused proposal's up
 * to 4 MiB of content is never read).
 */
export type ProposalHandler = (proposal: Uint8Array, content: () => Promise<Uint8Array>, from: PeerId, session: VoterSession) => Promise<string | StatusFrame>

/**
 * Registers the voter side. The first frame must arrive within the stream timeout; the answer may
 * take until the proposal's deadline (the handler bounds its own wait by it).
 */
export async function handleProposals (libp2p: Libp2p<any>, handler: ProposalHandler, opts: { signal: AbortSignal }): Promise<void> {
  await libp2p.handle(PROTOCOL_CONSENSUS, async (stream: Stream, connection: Connection) => {
    const closed = new AbortController()
    const onClose = (): void => { closed.abort() }
    stream.addEventListener('close', onClose, { once: true })
    const signal = AbortSignal.any([closed.signal, opts.signal])
    let keepAlive: NodeJS.Timeout | undefined
    let answered = false
    const session: VoterSession = {
      signal,
      waiting: (federation) => {
        if (keepAlive !== undefined) return
        const send = (): void => { lp.write(encodeFrame({ status: 'waiting', federation }), { signal: withTimeout(signal, STREAM_TIMEOUT_MS) }).catch(() => {}) }
        send()
        keepAlive = setInterval(send, WAITING_KEEPALIVE_MS)
      }
    }
    // The proposal frame may be 128 KiB, the content frame after it 4 MiB. lpStream reads its
    // limit from this object at each read, so the first frame's length prefix is refused before
    // its bytes are read, and the limit is raised only when the handler, the proposal judged,
    // asks for the content; the check after the read stays, should a later @libp2p/utils copy its
    // options. (maxLengthLength is fixed here: derived from the first limit it would refuse the
    // content frame's longer prefix.) The buffer holds both frames and their prefixes: a content
    // frame of the full 4 MiB behind a proposal still fits.
    const frameLimit = { maxDataLength: MAX_CONSENSUS_FRAME_BYTES, maxLengthLength: varintLength(MAX_CONTENT_FRAME_BYTES), maxBufferSize: MAX_CONTENT_FRAME_BYTES + MAX_CONSENSUS_FRAME_BYTES + 16 }
    const lp = lpStream(stream, frameLimit)
    try {
      const first = await lp.read({ signal: withTimeout(signal, STREAM_TIMEOUT_MS) })
      if (first.byteLength > MAX_CONSENSUS_FRAME_BYTES) throw new Error('proposal frame too large')
      const content = async (): Promise<Uint8Array> => {
        frameLimit.maxDataLength = MAX_CONTENT_FRAME_BYTES
        return (await lp.read({ signal: withTimeout(signal, STREAM_TIMEOUT_MS) })).subarray()
      }
      const answer = await handler(first.subarray(), content, connection.remotePeer, session)
      if (keepAlive !== undefined) clearInterval(keepAlive)
      answered = true
      await lp.write(encodeFrame(answer), { signal: withTimeout(signal, STREAM_TIMEOUT_MS) })
      session.written?.(true)
      await stream.close({ signal: withTimeout(signal, STREAM_TIMEOUT_MS) }).catch(() => {})
    } catch (err: any) {
      if (answered) session.written?.(false)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      if (keepAlive !== undefined) clearInterval(keepAlive)
      stream.removeEventListener('close', onClose)
    }
  }, { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: 64, runOnLimitedConnection: true })
}

/** Bytes of the unsigned varint that prefixes a frame of `n` bytes. */
function varintLength (n: number): number {
  let bytes = 1
  while (n >= 128) { n = Math.floor(n / 128); bytes++ }
  return bytes
}
