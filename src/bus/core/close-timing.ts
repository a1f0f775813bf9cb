// When a contribution came after the close, pure (the daemon and the page run it). A node that
// followed the channel knows when each envelope arrived; one that learnt the channel from a
// history page knows only the `created-at` each author chose, in whole seconds: by those alone a
// contribution published after the close but dated before it would count on every late joiner,
// and an answer in the close's own second would not. Where the close names its author's whole
// frontier, its `previous` chain says what its author had seen (docs/protocol.md).

import { createdOf, type ChannelEntry } from './entries.ts'
import { Ancestry, MAX_PREVIOUS, previousOf } from './log.ts'

/**
 * The close's chain through the held entries, when the close names its author's whole frontier:
 * fewer ids than `previous` may hold (a full list may have left some out), and at least one (an
 * empty list says nothing: other implementations, an empty channel).
 */
export function closeChain (close: ChannelEntry | undefined, held: (id: string) => ChannelEntry | undefined): Ancestry | undefined {
  const named = close === undefined ? 0 : previousOf(close.envelope).length
  return close !== undefined && named > 0 && named < MAX_PREVIOUS ? new Ancestry(close, held) : undefined
}

/**
 * Whether a contribution (dated `created`) came after the close. By arrival and `created-at`
 * (the same second on both counts as after); for one learnt from history, where the close's
 * chain is known and held whole here, by the chain with the dates: what it does not reach the
 * closer had not seen, what it reaches counts unless dated after the close's second.
 */
export function afterTheClose (entry: ChannelEntry, created: number, close: ChannelEntry, chain: Ancestry | undefined): boolean {
  const closeCreated = createdOf(close.envelope)
  if (entry.history !== true || chain === undefined || !chain.complete) {
    return entry.at > close.at || created > closeCreated || (entry.at === close.at && created === closeCreated)
  }
  return !chain.reached.has(entry.id) || created > closeCreated
}
