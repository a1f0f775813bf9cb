// Connected topologies for channel tests and the channel bench: line, star, ring, and random with
// every degree 2–3, as edge lists over nodes 0..n-1, from a seeded PRNG (same seed, same graph).

export type TopologyKind = 'line' | 'star' | 'ring' | 'random'

export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function topology (kind: TopologyKind, n: number, rand: () => number = mulberry32(1)): Array<[number, number]> {
  const edges: Array<[number, number]> = []
  switch (kind) {
    case 'line': for (let i = 1; i < n; i++) edges.push([i - 1, i]); return edges
    case 'star': for (let i = 1; i < n; i++) edges.push([0, i]); return edges
    case 'ring': for (let i = 1; i < n; i++) edges.push([i - 1, i]); if (n > 2) edges.push([n - 1, 0]); return edges
    case 'random': return randomSparse(n, rand)
  }
}

/** A random connected graph where every node has degree 2 or 3 (n ≥ 3): a random ring, plus random chords between nodes of degree 2. */
function randomSparse (n: number, rand: () => number): Array<[number, number]> {
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]] }
  const edges: Array<[number, number]> = []
  const has = new Set<string>()
  const add = (a: number, b: number): void => { edges.push([a, b]); has.add(`${Math.min(a, b)}-${Math.max(a, b)}`) }
  for (let i = 0; i < n; i++) add(order[i], order[(i + 1) % n])
  const degree = new Array(n).fill(2)
  for (let tries = 0; tries < n * 4; tries++) {
    const a = Math.floor(rand() * n)
    const b = Math.floor(rand() * n)
    if (a === b || degree[a] >= 3 || degree[b] >= 3 || has.has(`${Math.min(a, b)}-${Math.max(a, b)}`) || rand() < 0.5) continue
    add(a, b)
    degree[a]++
    degree[b]++
  }
  return edges
}

/** The neighbours of each node. */
export function neighbours (n: number, edges: ReadonlyArray<[number, number]>): number[][] {
  const out: number[][] = Array.from({ length: n }, () => [])
  for (const [a, b] of edges) { out[a].push(b); out[b].push(a) }
  return out
}
