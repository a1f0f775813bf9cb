import type { Command } from 'commander'
import { createContext, numberIn, oneOf, type CliIO } from '../context.ts'

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error']

export default function register (program: Command, io: CliIO): void {
  program.command('log')
    .description('read daemon.log (structured JSON); --follow keeps reading')
    .option('--follow', 'keep printing new lines until interrupted')
    .option('--lines <n>', 'how many recent lines first', numberIn('--lines', 0, 1_000_000, true), 50)
    .option('--level <level>', 'only this level and above', oneOf('--level', LEVELS))
    .action(async (opts: { follow?: boolean, lines: number, level?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { readLog } = await import('../log-reader.ts')
      const min = opts.level === undefined ? 0 : LEVELS.indexOf(opts.level)
      const print = (line: string): void => {
        let entry: any
        try { entry = JSON.parse(line) } catch { return }
        if (LEVELS.indexOf(entry.level) < min) return
        ctx.out.event(entry, (e) => {
          const { time, level, msg, component, ...rest } = e
          const extra = Object.keys(rest).length > 0 ? ' ' + JSON.stringify(rest) : ''
          return `${time as string} ${String(level).toUpperCase().padEnd(5)} ${component !== undefined ? `[${component as string}] ` : ''}${msg as string}${extra}`
        })
      }
      const ac = new AbortController()
      process.once('SIGINT', () => { ac.abort() })
      await readLog(ctx.paths.log, { lines: opts.lines, follow: opts.follow === true, signal: ac.signal, onLine: print })
    })
}
