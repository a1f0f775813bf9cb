// The rules of swarmd's dial-back reachability check (an AutoNAT v1 variant), as pure
// functions: what a request may ask, which addresses a server dials back, and how answers from
// several peers become one verdict.

import { isRoutableIp } from './addresses.ts'

export const PROTOCOL_REACH = '/swarm/reach/1.0.0'
/** A request is a few ports; anything larger is hostile. */
export const REACH_MAX_FRAME = 512
export const REACH_MAX_PORTS = 4
/** The server dials each port this long. */
export const REACH_DIAL_TIMEOUT_MS = 4000
/** One check per asking peer per this long (a check costs the server outbound dials). */
export const REACH_PEER_INTERVAL_MS = 20_000
/** Answers older than this no longer count toward the verdict. */
export const REACH_ANSWER_TTL_MS = 10 * 60_000

export type Reachability = 'public' | 'private' | 'unknown'

export type ReachRefusal = 'bad-json' | 'bad-schema' | 'too-large' | 'not-routable' | 'rate-limited' | 'busy'

export interface ReachRequest { tcp: number[] }

export type Parsed<T> = { ok: true, value: T } | { ok: false, reason: ReachRefusal }

/** `{"tcp":[7700]}`: 1–4 distinct TCP ports, nothing else. */
export function parseReachRequest (bytes: Uint8Array): Parsed<ReachRequest> {
  if (bytes.byteLength > REACH_MAX_FRAME) return { ok: false, reason: 'too-large' }
  let v: unknown
  try { v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) } catch { return { ok: false, reason: 'bad-json' } }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'bad-schema' }
  const keys = Object.keys(v)
  const tcp = (v as { tcp?: unknown }).tcp
  if (keys.length !== 1 || keys[0] !== 'tcp' || !Array.isArray(tcp)) return { ok: false, reason: 'bad-schema' }
  if (tcp.length < 1 || tcp.length > REACH_MAX_PORTS) return { ok: false, reason: 'bad-schema' }
  if (!tcp.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)) return { ok: false, reason: 'bad-schema' }
  if (new Set(tcp).size !== tcp.length) return { ok: false, reason: 'bad-schema' }
  return { ok: true, value: { tcp: tcp as number[] } }
}

/**
 * The addresses a server dials back: only the IP the request came from (so nobody can aim the
 * server at a third host, AutoNAT's anti-amplification rule), only when that IP is routable
 * (a check over loopback or a LAN says nothing about the internet), never over a relay.
 */
export function dialBackTargets (remoteIp: string | undefined, relayed: boolean, req: ReachRequest, peerId: string): Parsed<string[]> {
  if (relayed || remoteIp === undefined || !isRoutableIp(remoteIp)) return { ok: false, reason: 'not-routable' }
  const family = remoteIp.includes(':') ? 'ip6' : 'ip4'
  return { ok: true, value: req.tcp.map((port) => `/${family}/${remoteIp}/tcp/${port}/p2p/${peerId}`) }
}

/** `host`: the IP the answering peer was reached at, when known. */
export interface ReachAnswer { peer: string, reachable: boolean, at: number, host?: string }

/**
 * One verdict from the latest answer of each distinct host (else peer) within the TTL: the
 * majority wins, a tie or no answers is 'unknown'. A single lying peer cannot outvote two honest
 * ones, and neither can many identities from one address: peer ids cost nothing to make.
 */
export function judgeReachability (answers: ReachAnswer[], now: number, ttlMs = REACH_ANSWER_TTL_MS): Reachability {
  const latest = new Map<string, ReachAnswer>()
  for (const a of answers) {
    if (now - a.at > ttlMs || a.at > now + ttlMs) continue
    const key = a.host === undefined ? a.peer : hostKey(a.host)
    const prev = latest.get(key)
    if (prev === undefined || a.at >= prev.at) latest.set(key, a)
  }
  let yes = 0
  let no = 0
  for (const a of latest.values()) { if (a.reachable) yes++; else no++ }
  if (yes > no) return 'public'
  if (no > yes) return 'private'
  return 'unknown'
}

/** One vote per IPv4 address, and per IPv6 /64 (one host holds a whole /64 and picks from it at will). */
export function hostKey (host: string): string {
  if (!host.includes(':')) return host
  const groups = expandIpv6(host)
  return groups === undefined ? host : `${groups.slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address (lower-case, no leading zeros), or undefined. */
function expandIpv6 (host: string): string[] | undefined {
  const [head, tail, extra] = host.toLowerCase().split('::')
  if (extra !== undefined) return undefined
  const a = head === '' ? [] : head.split(':')
  const b = tail === undefined || tail === '' ? [] : tail.split(':')
  const fill = tail === undefined ? 0 : 8 - a.length - b.length
  if (fill < 0) return undefined
  const groups = [...a, ...Array(fill).fill('0'), ...b]
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined
  return groups.map((g) => g.replace(/^0+(?=.)/, ''))
}
