// CLI entry: parse, run one command, map errors to exit codes (0 ok, 1 failed, 2 usage,
// 3 daemon not running). No stack traces unless --debug.

import { CommanderError } from 'commander'
import { SwarmError, toSwarmError } from '../errors.ts'
import type { CliIO } from './context.ts'
import { buildProgram } from './program.ts'

export async function run (argv: string[], io: CliIO): Promise<number> {
  const program = buildProgram(io)
  // Flags after `--` belong to a wrapped command (swarm consensus gate … -- CMD --json).
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv
  const json = own.includes('--json')
  const debug = own.includes('--debug')
  try {
    await program.parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander but successes to a user
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
      return err.exitCode === 0 ? 0 : 2
    }
    const e = toSwarmError(err)
    if (json) io.stdout.write(JSON.stringify({ error: e.toJSON() }) + '\n')
    else io.stderr.write(`swarm: ${e.message}\n`)
    if (debug && err instanceof Error && err.stack != null) io.stderr.write(err.stack + '\n')
    return e instanceof SwarmError ? e.exitCode : 1
  }
}

export async function main (argv: string[]): Promise<void> {
  const code = await run(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env })
  // Let stdout drain, then leave without waiting for stray handles.
  process.exitCode = code
  if (process.stdout.writableNeedDrain) await new Promise((resolve) => process.stdout.once('drain', resolve))
  process.exit(code)
}
