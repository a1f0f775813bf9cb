// The commander program: global flags, then one file per command under commands/. Building it
// imports only the descriptor argv names (all of them for help); each handler loads what it
// needs when it runs.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import { Command } from 'commander'
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
      outputError: () => {}
    })
    .exitOverride()
  for (const { default: register } of await Promise.all(needed(argv).map(async (load) => await load()))) register(program, io)
  // Subcommands inherit the output routing and the usage-error behaviour.
  for (const cmd of program.commands) inherit(cmd, program)
  return program
}

/** Only the named command's descriptor when argv names one (a command runs without building the
 *  other thirty); all of them for help, a bare `swarm` or an unknown word. */
function needed (argv: string[] | undefined): Array<(typeof commands)[string]> {
  const all = Object.values(commands)
  if (argv === undefined) return all
  let word: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break
    if (argv[i] === '--home') { i++; continue }
    if (!argv[i].startsWith('-')) { word = argv[i]; break }
  }
  return word !== undefined && Object.hasOwn(commands, word) ? [commands[word]] : all
}

function inherit (cmd: Command, root: Command): void {
  cmd.configureOutput(root.configureOutput()).exitOverride()
  for (const sub of cmd.commands) inherit(sub, root)
}

function packageVersion (): string {
  try {
    return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}
