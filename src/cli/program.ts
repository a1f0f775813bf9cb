// The commander program: global flags, then one file per command under commands/. Building it
// imports only the descriptor argv names (none for the top-level help or --version); each
// handler loads what it needs when it runs.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import { Command, Help } from 'commander'
import type { CliIO } from './context.ts'
import { commands } from './commands/index.ts'

export async function buildProgram (io: CliIO, argv?: string[]): Promise<Command> {
  const program = new Command('swarm')
    .description('swarmd: ask the swarm for help, and help it')
    .version(packageVersion(), '-V, --version', 'the swarmd version')
    .option('--home <dir>', 'home directory (default: $SWARM_HOME or ~/.swarmd)')
    .option('--json', 'machine-readable output (one JSON document, or NDJSON for streams)')
    .option('--debug', 'show stack traces on errors')
    .configureOutput({
      writeOut: (s) => { io.stdout.write(s) },
      writeErr: (s) => { io.stderr.write(s) },
      // Usage errors are printed by run() as one line (and as JSON with --json).
      outputError: () => {},
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr)
    })
    .exitOverride()
  const named = argv === undefined ? Object.keys(commands) : namedCommand(argv)
  if (named.length > 0) {
    for (const { default: register } of await Promise.all(named.map(async (name) => await commands[name].load()))) register(program, io)
  } else {
    // Top-level help, --version, a bare `swarm` or an unknown word: each command stands in as its
    // name and summary (what help lists, and what commander's "did you mean" compares), none loaded.
    for (const [name, { summary }] of Object.entries(commands)) program.command(name).description(summary)
    program.configureHelp({ subcommandTerm: (cmd) => Object.hasOwn(commands, cmd.name()) ? commands[cmd.name()].term : new Help().subcommandTerm(cmd) })
  }
  // Subcommands inherit the output routing and the usage-error behaviour.
  for (const cmd of program.commands) inherit(cmd, program)
  return program
}

/** The command argv names (`swarm help ask` names ask), or none. After `--`, only the command
 *  word itself counts (`swarm -- id` runs id, as commander dispatches it); later words belong to
 *  the command (`swarm consensus gate … -- CMD`). */
function namedCommand (argv: string[]): string[] {
  const words: string[] = []
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    if (argv[i] === '--') {
      if (words.length === 0 && i + 1 < argv.length) words.push(argv[i + 1])
      break
    }
    if (argv[i] === '--home') { i++; continue }
    if (!argv[i].startsWith('-')) words.push(argv[i])
  }
  const word = words[0] === 'help' ? words[1] : words[0]
  return word !== undefined && Object.hasOwn(commands, word) ? [word] : []
}

function inherit (cmd: Command, root: Command): void {
  cmd.configureOutput(root.configureOutput()).exitOverride()
  for (const sub of cmd.commands) inherit(sub, root)
}

/** Help wraps at this many columns, or at a terminal's width when it is narrower. */
export const HELP_WIDTH = 80

/**
 * The width help wraps at. Not the full width of a wide terminal (commander's default): one text
 * for every pipe and every terminal of 80 columns or more reads as well and lets the bundle
 * render the top-level help once, at build time, so `swarm --help` costs a bare start
 * (scripts/build-dist.ts).
 */
export function helpWidth (stream: { isTTY?: boolean }): number {
  const columns = (stream as { columns?: unknown }).columns
  return stream.isTTY === true && typeof columns === 'number' && columns > 0 ? Math.min(HELP_WIDTH, columns) : HELP_WIDTH
}

function packageVersion (): string {
  try {
    return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}
