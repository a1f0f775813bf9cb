// Gossipsub takes a message on a topic without a validator as valid: cached, and forwarded to
// that topic's direct and floodsub peers. A topic nobody here subscribes to (a stranger's, or a
// retired one such as the old per-question channel topics) is nobody's to carry, so gossipsub's
// one lookup of a topic's validator (`topicValidators.get`, gossipsub 17; recheck on an upgrade)
// falls back to a refusal. Shared by the daemon's topic router and the page (no node: imports).
// `allowedTopics` is no alternative: it also drops peers' subscriptions, which fan-out needs.

import type { PeerId } from '@libp2p/interface'

type Validators = Map<string, unknown>
type Refusal = (from: PeerId) => Promise<'ignore' | 'reject'> | 'ignore' | 'reject'

/** Makes every topic without a validator of its own refused by `refuse`; returns the undo. */
export function refuseUnroutedTopics (pubsub: { topicValidators: Validators }, refuse: Refusal): () => void {
  const validators = pubsub.topicValidators
  const fallback = async (from: PeerId): Promise<'ignore' | 'reject'> => await refuse(from)
  validators.get = (topic: string) => Map.prototype.get.call(validators, topic) ?? fallback
  return () => { Reflect.deleteProperty(validators, 'get') }
}
