// The raw baseline of blob-transfer-mb-s (judged): a bare js-libp2p node (tcp, noise, yamux as
// libp2p ships them) in a process of its own, as the fetching daemon is. On /bench/raw/1.0.0 it
// reads a length-prefixed size, then frames until it has that many bytes, and answers `done`.
// Prints its address once it listens; stops on SIGTERM.
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'

const node = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
await node.handle('/bench/raw/1.0.0', async (stream: Stream) => {
  const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
  const size = Number(new TextDecoder().decode((await lp.read()).subarray()))
  let got = 0
  while (got < size) got += (await lp.read()).byteLength
  await lp.write(new TextEncoder().encode('done'))
  await stream.close()
})
process.stdout.write(`${node.getMultiaddrs()[0].toString()}\n`)
process.once('SIGTERM', () => { void Promise.resolve(node.stop()).finally(() => process.exit(0)) })
