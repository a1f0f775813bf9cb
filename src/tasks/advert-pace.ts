// How often a node re-advertises its capabilities when nothing changed. Every advert floods the
// whole federation, so with a fixed interval each node forwards N adverts per interval: idle
// traffic per node grows with the swarm (measured in docs/scale.md). Past a small swarm the
// refresh interval grows with the number of nodes this node knows, so the federation as a whole
// sends about ADVERT_PACE_NODES adverts per configured interval whatever its size; changes of
// capabilities or load are still advertised at once. The expiry stretches with the interval.

import { ADVERT_MAX_TTL_SEC } from './constants.ts'

/** Swarms up to this many nodes refresh at the configured interval. */
export const ADVERT_PACE_NODES = 10
/** Jitter: each wait is the interval times a factor in [1 - J, 1 + J). */
export const ADVERT_PACE_JITTER = 0.2
/** An advert lives this many refresh intervals (one or two lost refreshes do not drop a node). */
export const ADVERT_TTL_INTERVALS = 3

/** The refresh interval (ms, before jitter) for a node that knows `known` other nodes. */
export function advertIntervalMs (configuredMs: number, known: number): number {
  const scaled = configuredMs * Math.max(0, known) / ADVERT_PACE_NODES
  // the interval may not outgrow what an advert's capped expiry can cover
  const cap = Math.max(configuredMs, ADVERT_MAX_TTL_SEC * 1000 / ADVERT_TTL_INTERVALS)
  return Math.min(cap, Math.max(configuredMs, scaled))
}

/**
 * The interval jittered by `rand` in [0,1): nodes started together (a test swarm, a power cut)
 * drift apart instead of refreshing in the same second forever after.
 */
export function nextRefreshMs (intervalMs: number, rand: number): number {
  const r = Math.min(Math.max(rand, 0), 1 - Number.EPSILON)
  return Math.round(intervalMs * (1 - ADVERT_PACE_JITTER + 2 * ADVERT_PACE_JITTER * r))
}

/** The expiry an advert carries: the configured TTL, or longer when the refresh interval is. */
export function advertTtlSec (configuredTtlSec: number, intervalMs: number): number {
  const needed = Math.ceil(ADVERT_TTL_INTERVALS * intervalMs * (1 + ADVERT_PACE_JITTER) / 1000)
  return Math.min(ADVERT_MAX_TTL_SEC, Math.max(configuredTtlSec, needed))
}
