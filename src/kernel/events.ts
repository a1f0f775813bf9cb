// The daemon's event feed: peer joined/left, question received, contribution, summary, task,
// consensus result, reflection integrated, rejects. Services emit; `swarm events` and
// `swarm watch` subscribe over the control socket. Delivery is synchronous and in order.

export interface SwarmEvent {
  type: string
  at: string
  [key: string]: unknown
}

export type EventListener = (event: SwarmEvent) => void

export class SwarmEvents {
  private readonly listeners = new Set<EventListener>()

  emit (type: string, data: Record<string, unknown> = {}): void {
    const event: SwarmEvent = { type, at: new Date().toISOString(), ...data }
    for (const l of this.listeners) {
      try { l(event) } catch { /* one bad listener must not starve the others */ }
    }
  }

  /** Returns the unsubscribe function. */
  on (listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Subscribes until `signal` aborts. */
  until (signal: AbortSignal, listener: EventListener): void {
    const off = this.on(listener)
    signal.addEventListener('abort', off, { once: true })
  }
}
