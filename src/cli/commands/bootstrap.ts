// swarm bootstrap add|list|remove: the peers a daemon dials at start to join the swarm. The list
// lives in the home config.json (`bootstrap`), so it works without a daemon; a running daemon
// also dials an added peer at once.

import type { Command } from 'commander'
import { createContext, type CliContext, type CliIO } from '../context.ts'
import { SwarmError, UsageError } from '../../errors.ts'

/** A dialable bootstrap address ends in /p2p/<peer id>: the node must know whom it reaches. */
export function checkBootstrapAddr (address: string): string {
  if (!/^\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\/[^/]+\/.+\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,}$/.test(address)) {
    throw new UsageError(`not a bootstrap multiaddr: ${address} (e.g. /ip4/203.0.113.7/tcp/7700/p2p/12D3KooW…)`)
  }
  return address
}

async function fileList (ctx: CliContext): Promise<string[]> {
  const { readConfigFile } = await import('../../config/load.ts')
  const { homeExists } = await import('../../config/home.ts')
  if (!(await homeExists(ctx.paths))) throw new SwarmError('no-home', `no swarmd home at ${ctx.home}; create it with: swarm init`)
  const current = await readConfigFile(ctx.paths.config)
  const list = current?.bootstrap
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []
}

async function writeList (ctx: CliContext, list: string[]): Promise<void> {
  const { setConfigValue } = await import('../../config/load.ts')
  await setConfigValue(ctx.paths.config, 'bootstrap', JSON.stringify(list))
}

/** Calls a running daemon; undefined when none runs. */
async function daemonCall (ctx: CliContext, method: string, params: unknown): Promise<{ ok: true, value: any } | { ok: false, error: string } | undefined> {
  let client
  try { client = await ctx.client() } catch { return undefined }
  try {
    return { ok: true, value: await client.call(method, params, { timeoutMs: 20_000 }) }
  } catch (err: any) {
    return { ok: false, error: err.message as string }
  } finally {
    client.close()
  }
}

export default function register (program: Command, io: CliIO): void {
  const cmd = program.command('bootstrap').description('the peers the daemon dials at start (config.json bootstrap)')
  cmd.command('add')
    .description('add a bootstrap peer; a running daemon dials it now')
    .argument('<multiaddr>', 'e.g. /ip4/203.0.113.7/tcp/7700/p2p/12D3KooW…')
    .action(async (address: string, _opts, c: Command) => {
      const ctx = createContext(c, io)
      checkBootstrapAddr(address)
      const list = await fileList(ctx)
      const added = !list.includes(address)
      if (added) await writeList(ctx, [...list, address])
      const live = await daemonCall(ctx, 'bootstrap.add', { address })
      const res = {
        address,
        added,
        daemon: live === undefined ? 'not-running' : live.ok ? 'connected' : 'dial-failed',
        ...(live !== undefined && !live.ok ? { error: live.error } : {}),
        ...(live?.ok === true ? { peerId: live.value.peerId } : {})
      }
      ctx.out.result(res, (r) => `${r.added ? 'added' : 'already listed'}: ${address}${r.daemon === 'connected' ? ' (connected)' : r.daemon === 'dial-failed' ? ` (saved; the daemon could not dial it now: ${String(r.error)})` : ' (dialled at the next start)'}`)
    })
  cmd.command('list')
    .description('the bootstrap peers in config.json')
    .action(async (_opts, c: Command) => {
      const ctx = createContext(c, io)
      const list = await fileList(ctx)
      ctx.out.result({ bootstrap: list }, (r) => r.bootstrap.length === 0 ? 'no bootstrap peers (add one with: swarm bootstrap add MULTIADDR)' : (r.bootstrap as string[]).join('\n'))
    })
  cmd.command('remove')
    .description('remove a bootstrap peer (from the next start; open connections stay)')
    .argument('<multiaddr>', 'as listed')
    .action(async (address: string, _opts, c: Command) => {
      const ctx = createContext(c, io)
      const list = await fileList(ctx)
      const removed = list.includes(address)
      if (removed) await writeList(ctx, list.filter((x) => x !== address))
      if (removed) await daemonCall(ctx, 'bootstrap.remove', { address })
      ctx.out.result({ address, removed }, (r) => r.removed ? `removed: ${address}` : `not listed: ${address}`)
      if (!removed) process.exitCode = 1
    })
}
