// Topologies for the scale harness, as pure functions of (size, shape, seed): a list of links
// (i dials j). Every topology is connected, so a question can reach every node.

export type Link = [number, number]

/** The seeded PRNG the benchmarks use (mulberry32): the same seed gives the same topology. */
export { mulberry32 as rng } from '../bench/reflections.ts'
import { mulberry32 as rng } from '../bench/reflections.ts'

const key = (i: number, j: number): string => i < j ? `${i}-${j}` : `${j}-${i}`

/**
 * About `degree` links per node: a random spanning tree first (connected whatever the degree),
 * then random extra links between nodes still under their degree.
 */
export function randomDegree (n: number, degree: number, seed = 1): Link[] {
  if (n < 2) return []
  const rand = rng(seed)
  const links: Link[] = []
  const seen = new Set<string>()
  const deg = new Array<number>(n).fill(0)
  const add = (i: number, j: number): boolean => {
    if (i === j || seen.has(key(i, j))) return false
    seen.add(key(i, j)); links.push([i, j]); deg[i]++; deg[j]++
    return true
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]] }
  for (let k = 1; k < n; k++) add(order[k], order[Math.floor(rand() * k)])
  const target = Math.min(degree, n - 1)
  for (let tries = 0; tries < n * degree * 20; tries++) {
    const under = order.filter((i) => deg[i] < target)
    if (under.length < 2) break
    const i = under[Math.floor(rand() * under.length)]
    const j = under[Math.floor(rand() * under.length)]
    add(i, j)
  }
  return links
}

/** `clusters` random-degree groups of about n/clusters nodes, joined in a ring by `bridges` links each. */
export function clustered (n: number, clusters: number, degree: number, bridges = 1, seed = 1): Link[] {
  const k = Math.max(1, Math.min(clusters, n))
  const groups: number[][] = Array.from({ length: k }, () => [])
  for (let i = 0; i < n; i++) groups[i % k].push(i)
  const links: Link[] = []
  groups.forEach((g, gi) => {
    for (const [a, b] of randomDegree(g.length, degree, seed + gi)) links.push([g[a], g[b]])
  })
  const rand = rng(seed + 1000)
  if (k > 1) {
    for (let gi = 0; gi < k; gi++) {
      const a = groups[gi]
      const b = groups[(gi + 1) % k]
      if (k === 2 && gi === 1) break // two clusters: one set of bridges, not two
      for (let x = 0; x < bridges; x++) links.push([a[Math.floor(rand() * a.length)], b[Math.floor(rand() * b.length)]])
    }
  }
  return dedupe(links)
}

function dedupe (links: Link[]): Link[] {
  const seen = new Set<string>()
  return links.filter(([i, j]) => { if (i === j || seen.has(key(i, j))) return false; seen.add(key(i, j)); return true })
}

/** True when every node is reachable from node 0. */
export function connected (n: number, links: Link[]): boolean {
  if (n === 0) return true
  const adj = Array.from({ length: n }, () => [] as number[])
  for (const [i, j] of links) { adj[i].push(j); adj[j].push(i) }
  const seen = new Set([0])
  const todo = [0]
  while (todo.length > 0) for (const j of adj[todo.pop() as number]) if (!seen.has(j)) { seen.add(j); todo.push(j) }
  return seen.size === n
}
