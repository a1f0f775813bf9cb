// The raw baseline of daemon-start-ms: a bare js-libp2p node with the daemon's default transports
// (tcp, websockets, webrtc-direct), noise, yamux, identify, ping and gossipsub, created and
// listening on loopback in a fresh process; prints `raw ready` once it listens.
import { enableCompileCache } from 'node:module'

// the same on-disk compile cache bin/swarm enables; imported after it is on
enableCompileCache()
const [{ createLibp2p }, { tcp }, { webSockets }, { webRTCDirect }, { noise }, { yamux }, { identify }, { ping }, { gossipsub }] = await Promise.all([
  import('libp2p'), import('@libp2p/tcp'), import('@libp2p/websockets'), import('@libp2p/webrtc'), import('@libp2p/noise'),
  import('@chainsafe/libp2p-yamux'), import('@libp2p/identify'), import('@libp2p/ping'), import('@libp2p/gossipsub')
])

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws', '/ip4/127.0.0.1/udp/0/webrtc-direct'] },
  transports: [tcp(), webSockets(), webRTCDirect()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping(), pubsub: gossipsub() }
})
process.stdout.write('raw ready\n')
process.once('SIGTERM', () => { void Promise.resolve(node.stop()).finally(() => process.exit(0)) })
