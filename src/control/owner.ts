// Who may use the control socket: the home's owner. Node has no peer-credential API
// (SO_PEERCRED / getpeereid need a native addon), so the kernel's file permissions do the
// checking: connecting to a Unix socket needs write permission on its file, the socket is
// created 0600 under umask 0177, and the daemon refuses a home that another user owns or can
// write to (where the socket could be swapped). Each connection re-checks that the socket file
// is still ours and still 0600. Root bypasses file permissions; nothing here can stop root.

import { statSync } from 'node:fs'
import { SwarmError } from '../errors.ts'

const uid = (): number | undefined => typeof process.getuid === 'function' ? process.getuid() : undefined

/** Throws unless `home` is owned by this process's user and not writable by group or others. */
export function checkHomeOwnership (home: string): void {
  const me = uid()
  if (me === undefined) return
  const st = statSync(home)
  if (st.uid !== me) throw new SwarmError('home-owner', `home ${home} belongs to uid ${st.uid}, not to this user (uid ${me}); the control socket would not be private`)
  if ((st.mode & 0o022) !== 0) throw new SwarmError('home-permissions', `home ${home} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod go-w ${home}`)
}

/** The control server's `authorize`: the socket file is still ours and owner-only. */
export function socketStillPrivate (socketPath: string): () => boolean {
  return () => {
    const me = uid()
    if (me === undefined) return true
    try {
      const st = statSync(socketPath)
      return st.uid === me && (st.mode & 0o077) === 0
    } catch {
      return false
    }
  }
}
