// A minimal STUN responder (RFC 5389 Binding): answers each Binding request with the source
// address it came from (XOR-MAPPED-ADDRESS and MAPPED-ADDRESS). Run in the simulated network's
// "public" namespace so WebRTC peers behind the simulated NATs learn their mapped address
// without any traffic leaving the sandbox.
//   node test/netns/stun-server.ts 203.0.113.1 3478

import { createSocket } from 'node:dgram'

const MAGIC = 0x2112a442

export function bindingResponse (req: Buffer, ip: string, port: number): Buffer | undefined {
  if (req.length < 20 || req.readUInt16BE(0) !== 0x0001 || req.readUInt32BE(4) !== MAGIC) return undefined
  const octets = ip.split('.').map(Number)
  if (octets.length !== 4) return undefined
  const attr = (type: number, xor: boolean): Buffer => {
    const b = Buffer.alloc(12)
    b.writeUInt16BE(type, 0)
    b.writeUInt16BE(8, 2)
    b.writeUInt8(0, 4)
    b.writeUInt8(0x01, 5) // IPv4
    b.writeUInt16BE(xor ? port ^ (MAGIC >>> 16) : port, 6)
    const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0
    b.writeUInt32BE(xor ? (addr ^ MAGIC) >>> 0 : addr, 8)
    return b
  }
  const body = Buffer.concat([attr(0x0020, true), attr(0x0001, false)])
  const head = Buffer.alloc(20)
  head.writeUInt16BE(0x0101, 0)
  head.writeUInt16BE(body.length, 2)
  head.writeUInt32BE(MAGIC, 4)
  req.copy(head, 8, 8, 20)
  return Buffer.concat([head, body])
}

if (import.meta.main) {
  const [host, port] = [process.argv[2] ?? '0.0.0.0', Number(process.argv[3] ?? 3478)]
  const sock = createSocket('udp4')
  sock.on('message', (msg, rinfo) => {
    const res = bindingResponse(msg, rinfo.address, rinfo.port)
    if (res !== undefined) sock.send(res, rinfo.port, rinfo.address)
  })
  sock.bind(port, host, () => { process.stdout.write(`stun ready ${host}:${port}\n`) })
  process.on('SIGTERM', () => { sock.close(); process.exit(0) })
}
