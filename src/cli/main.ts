// CLI entry: parse, run one command, map errors to exit codes (0 ok, 1 failed, 2 usage,
// 3 daemon not running). No stack traces unless --debug.

import { CommanderError, type Command } from 'commander'
import { SwarmError, toSwarmError } from '../errors.ts'
import type { CliIO } from './context.ts'
import { terminalSafe } from './output.ts'
import { buildProgram } from './program.ts'

export async function run (argv: string[], io: CliIO): Promise<number> {
  const program = await buildProgram(io, argv)
  // Flags after `--` belong to a wrapped command (swarm consensus gate … -- CMD --json).
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv
  const json = own.includes('--json')
  const debug = own.includes('--debug')
  try {
    await program.parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are "errors" to commander but successes to a user; help shown
      // because a command group was given no subcommand (`swarm task`) is a usage error
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2
      if (err.exitCode === 0) return 0
      const message = usageMessage(err)
      if (json) io.stdout.write(JSON.stringify({ error: { code: 'usage', message } }) + '\n')
      else io.stderr.write(`swarm: ${terminalSafe(message)} (see swarm ${helpPath(program, argv)}--help)\n`)
      return 2
    }
    const e = toSwarmError(err)
    if (json) io.stdout.write(JSON.stringify({ error: e.toJSON() }) + '\n')
    // a message may carry a stranger's words (a holder's refusal, a peer's error)
    else io.stderr.write(`swarm: ${terminalSafe(e.message)}\n`)
    if (debug && err instanceof Error && err.stack != null) io.stderr.write(err.stack + '\n')
    return e instanceof SwarmError ? e.exitCode : 1
  }
}

/** Commander's message as one line, without its `error: ` prefix; a value check of ours already
 *  names the flag and the value (`--ttl must be …, got 'x'`), so commander's preamble is dropped then. */
function usageMessage (err: CommanderError): string {
  let m = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()
  const invalid = /^(?:option|command-argument value) .* is invalid(?: for argument '[^']*')?\. (.+)$/.exec(m)
  if (invalid !== null && (/^--[a-z]/.test(invalid[1]) || invalid[1].includes(", got '"))) m = invalid[1]
  return m
}

/** `ask ` for `swarm ask --bogus`, `consensus vote ` for `swarm consensus vote x maybe`: the hint
 *  points at the deepest command the words name. */
function helpPath (program: Command, argv: string[]): string {
  const words: string[] = []
  let cmd = program
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') break
    if (a === '--home') { i++; continue }
    if (a.startsWith('-')) continue
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a))
    if (sub === undefined) break
    words.push(a)
    cmd = sub
  }
  return words.map((w) => `${w} `).join('')
}

export async function main (argv: string[]): Promise<void> {
  // process.stdin is built on first read (~4 ms of fs streams and tty): only commands that read it pay.
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, get stdin () { return process.stdin }, env: process.env }
  const code = await run(argv, io)
  // Let stdout drain, then leave without waiting for stray handles.
  process.exitCode = code
  if (process.stdout.writableNeedDrain) await new Promise((resolve) => process.stdout.once('drain', resolve))
  process.exit(code)
}
