import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  const config = program.command('config').description('show or change the configuration')
  config.command('show')
    .description('the effective configuration (defaults < config.json < SWARM_* env)')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { loadConfig } = await import('../../config/load.ts')
      ctx.out.result(await loadConfig({ file: ctx.paths.config, env: ctx.io.env }), (c) => JSON.stringify(c, null, 2))
    })
  config.command('set')
    .description('set a dotted key to a JSON value in the home config.json (restart the daemon to apply)')
    .argument('<key>', 'dotted key, e.g. tasks.accept')
    .argument('<value>', 'JSON value, e.g. \'["python-computation"]\' (a bare word is a string)')
    .action(async (key: string, value: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { setConfigValue } = await import('../../config/load.ts')
      const { homeExists } = await import('../../config/home.ts')
      if (!(await homeExists(ctx.paths))) {
        const { SwarmError } = await import('../../errors.ts')
        throw new SwarmError('no-home', `no swarmd home at ${ctx.home}; create it with: swarm init`)
      }
      const cfg = await setConfigValue(ctx.paths.config, key, value)
      const applied = key.split('.').reduce<any>((o, k) => o?.[k], cfg)
      ctx.out.result({ key, value: applied }, () => `${key} = ${JSON.stringify(applied)} (restart the daemon to apply)`)
    })
}
