// Live numbers for `swarm stats` (and, through metrics, Prometheus): labelled counters kept
// in plain maps so reading them costs nothing on the hot path.

export class Counters {
  private readonly values = new Map<string, Map<string, number>>()
  /** Observers (the metrics registry) see every increment. */
  onIncrement?: (name: string, label: string, by: number) => void

  inc (name: string, label = '', by = 1): void {
    let m = this.values.get(name)
    if (m === undefined) { m = new Map(); this.values.set(name, m) }
    m.set(label, (m.get(label) ?? 0) + by)
    this.onIncrement?.(name, label, by)
  }

  get (name: string, label = ''): number {
    return this.values.get(name)?.get(label) ?? 0
  }

  /** `{ label: count }` for one counter. */
  byLabel (name: string): Record<string, number> {
    return Object.fromEntries(this.values.get(name) ?? [])
  }
}
