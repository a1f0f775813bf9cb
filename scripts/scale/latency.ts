// Added link latency for the scale harness: a TCP relay per link that holds every chunk for
// `delayMs` in each direction before passing it on (order kept). Noise runs end to end through
// it, so the daemons see an ordinary, slower link. Loopback only.

import { createServer, connect, type Server, type Socket } from 'node:net'

export interface DelayLink { port: number, close: () => Promise<void> }

function delayed (from: Socket, to: Socket, delayMs: number): void {
  // a chain of timers keeps chunks in order even if the event loop runs late
  let tail = Promise.resolve()
  from.on('data', (chunk: Buffer) => {
    from.pause()
    tail = tail.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (!to.destroyed) to.write(chunk)
    })
    from.resume()
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
