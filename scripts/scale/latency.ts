// Added link latency for the scale harness: a TCP relay per link that holds every chunk for
// `delayMs` in each direction before passing it on (order kept). Noise runs end to end through
// it, so the daemons see an ordinary, slower link. Loopback only.

import { createServer, connect, type Server, type Socket } from 'node:net'

export interface DelayLink { port: number, close: () => Promise<void> }

function delayed (from: Socket, to: Socket, delayMs: number): void {
  // each chunk is due `delayMs` after it arrived; the chain keeps them in order even if the event
  // loop runs late. (Before, each chunk waited `delayMs` after the one ahead of it was written: the
  // delays added up, a link of 150 ms carried under seven chunks a second, and no gossip crossed it.)
  let tail = Promise.resolve()
  from.on('data', (chunk: Buffer) => {
    const due = performance.now() + delayMs
    tail = tail.then(async () => {
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (!to.destroyed) to.write(chunk)
    })
  })
  from.on('end', () => { void tail.then(() => { to.end() }) })
  from.on('error', () => { to.destroy() })
}

/** Listens on 127.0.0.1 (port 0) and relays to `targetPort` with `delayMs` each way. */
export async function delayLink (targetPort: number, delayMs: number): Promise<DelayLink> {
  const open = new Set<Socket>()
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1')
    open.add(inbound); open.add(outbound)
    inbound.once('close', () => { open.delete(inbound); outbound.destroy() })
    outbound.once('close', () => { open.delete(outbound); inbound.destroy() })
    delayed(inbound, outbound, delayMs)
    delayed(outbound, inbound, delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    close: async () => {
      for (const s of open) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}
