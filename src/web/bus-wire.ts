// How the page's bus puts envelopes on the wire: signing (WebCrypto, else noble), sealing for
// private channels, gossipsub publishes and direct pushes over /swarm/deliver/1.0.0.

import { PROTOCOL_DELIVERY } from '../constants.ts'
import { encodeSignature, envelopeSigningInput, nobleEd25519, nodeIdFromPublicKey, type Ed25519Backend, type EnvelopeBase, type Signer } from '../envelope/index.ts'
import { seal } from '../bus/private.ts'
import { decodeJson, request } from '../net/rpc.ts'
import { DEFAULT_PER_SENDER, OwnPace } from '../net/own-pace.ts'
import type { BrowserNode } from './node.ts'
import type { PeerId } from '@libp2p/interface'

const encoder = new TextEncoder()

export class PageWire {
  private readonly node: BrowserNode
  private readonly seed: Uint8Array
  private readonly ed: Ed25519Backend
  /** Signs synchronously (noble): seal() signs the sealed wrapper inside the builder. */
  private readonly sealSigner: Signer
  /** The page's own messages keep under the per-sender rate the daemons enforce (src/net/own-pace.ts). */
  readonly pace = new OwnPace(DEFAULT_PER_SENDER)

  constructor (node: BrowserNode, seed: Uint8Array, ed: Ed25519Backend, signer: Signer) {
    this.node = node
    this.seed = seed
    this.ed = ed
    this.sealSigner = { ...signer, sign: (data) => nobleEd25519.signSync!(seed, data) }
  }

  /** Replaces a builder's placeholder signature with the real one (WebCrypto, else noble). */
  async signed<E extends EnvelopeBase> (e: E): Promise<E> {
    const { signature: _placeholder, ...unsigned } = e
    const signature = await this.ed.sign(this.seed, envelopeSigningInput(unsigned))
    return { ...e, signature: encodeSignature(signature) }
  }

  seal (to: string[], e: EnvelopeBase, ttlSec: number): string {
    return JSON.stringify(seal(this.sealSigner, { to, envelope: e, ttlSec }))
  }

  /** Publishes on a topic; how many peers it went to (0 on any failure). `spare`: a heartbeat,
   *  paced behind everything else the page sends. */
  async publish (topic: string, text: string, opts: { spare?: boolean } = {}): Promise<number> {
    try {
      await this.pace.slot(undefined, opts)
      return (await this.node.services.pubsub.publish(topic, encoder.encode(text))).recipients.length
    } catch {
      return 0
    }
  }

  connectedPeers (): PeerId[] {
    return [...new Map(this.node.getConnections().map((c) => [c.remotePeer.toString(), c.remotePeer])).values()]
  }

  async pushToNode (nodeId: string, text: string): Promise<{ ok: boolean, reason?: string } | undefined> {
    const peer = this.connectedPeers().find((p) => p.publicKey?.type === 'Ed25519' && nodeIdFromPublicKey(p.publicKey.raw) === nodeId)
    return peer === undefined ? undefined : await this.push(peer, text)
  }

  async push (peer: PeerId, text: string): Promise<{ ok: boolean, reason?: string } | undefined> {
    try {
      return decodeJson(await request(this.node, peer, PROTOCOL_DELIVERY, encoder.encode(text), { timeoutMs: 5000 })) as { ok: boolean, reason?: string }
    } catch {
      return undefined // not connected any more, or a peer without the bus (another page without it, say)
    }
  }
}
