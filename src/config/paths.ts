// The home tree, documented once. Everything a daemon keeps lives under one directory:
//
//   config.json      operator settings (merged over config/default.json)
//   key              the node's Ed25519 secret, mode 0600
//   federation-root  a federation root key, when this node created a federation (0600)
//   membership.json  this node's membership certificate, when it joined a closed federation
//   federation-log.json  rotations and revocations this home's root signed (read by the daemon)
//   webrtc-cert.pem  the webrtc-direct certificate, so the certhash survives restarts
//   db/              LevelDB
//   swarm.sock       the control socket (0600)
//   daemon.pid       pid of the running daemon; daemon.lock guards it
//   daemon.log       structured JSON log (rotated: daemon.log.1, …)
//   api              JSON with what a client needs: socket path, pid, listen addresses, web URL

import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface HomePaths {
  home: string
  config: string
  key: string
  federationRoot: string
  membership: string
  federationLog: string
  webrtcCert: string
  db: string
  socket: string
  pid: string
  lock: string
  log: string
  api: string
}

/** `--home DIR`, else `SWARM_HOME`, else `~/.swarmd`. */
export function resolveHome (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.SWARM_HOME ?? join(homedir(), '.swarmd')
  return resolve(chosen)
}

export function homePaths (home: string): HomePaths {
  return {
    home,
    config: join(home, 'config.json'),
    key: join(home, 'key'),
    federationRoot: join(home, 'federation-root'),
    membership: join(home, 'membership.json'),
    federationLog: join(home, 'federation-log.json'),
    webrtcCert: join(home, 'webrtc-cert.pem'),
    db: join(home, 'db'),
    socket: join(home, 'swarm.sock'),
    pid: join(home, 'daemon.pid'),
    lock: join(home, 'daemon.lock'),
    log: join(home, 'daemon.log'),
    api: join(home, 'api')
  }
}
