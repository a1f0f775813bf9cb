// `swarm id`: this node's ids, key and federation. Like `ipfs id`, it works without a running
// daemon (read from the home's key and config); addresses come only from a running one.

import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'
import { DaemonNotRunningError, SwarmError } from '../../errors.ts'
import type { HomePaths } from '../../config/paths.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('id')
    .description('this node\'s ids, key and federation (works offline); addresses when the daemon runs')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      let id: Record<string, unknown>
      try {
        id = { ...await ctx.withClient(async (c) => await c.call('id')), running: true }
      } catch (err) {
        if (!(err instanceof DaemonNotRunningError)) throw err
        id = await offlineId(ctx.paths, ctx.io.env)
      }
      ctx.out.result(id, (r) => [
        `node id    ${r.nodeId as string}`, `peer id    ${r.peerId as string}`, `pubkey     ${r.pubkey as string}`,
        `federation ${r.federation as string}`,
        ...(r.running === true ? ['addresses:', ...(r.addresses as string[]).map((a) => `  ${a}`)] : ['addresses: none (the daemon is not running; start it with: swarm start)'])
      ].join('\n'))
    })
}

/** The ids from the home alone: the key file and the configured federation. */
async function offlineId (paths: HomePaths, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const { homeExists } = await import('../../config/home.ts')
  if (!(await homeExists(paths))) throw new SwarmError('no-home', `no swarmd home at ${paths.home}; create it with: swarm init --home ${paths.home}`)
  const { loadConfig } = await import('../../config/load.ts')
  const { loadIdentity } = await import('../../identity/index.ts')
  const config = await loadConfig({ file: paths.config, env })
  const identity = await loadIdentity(paths.key, config.node.federation)
  return { nodeId: identity.nodeId, peerId: identity.peerId.toString(), pubkey: identity.pubkey, federation: identity.federation, addresses: [], running: false }
}
