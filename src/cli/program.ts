// The commander program: global flags, then one file per command under commands/. Building it
// imports only the command descriptors; each handler loads what it needs when it runs.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import { Command } from 'commander'
import type { CliIO } from './context.ts'
import { commands } from './commands/index.ts'

export function buildProgram (io: CliIO, argv?: string[]): Command {
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
  for (const register of needed(argv, io)) register(program, io)
  // Subcommands inherit the output routing and the usage-error behaviour.
  for (const cmd of program.commands) inherit(cmd, program)
  return program
}

/** Only the named command's descriptor when argv names one (a command runs without building the
 *  other thirty); all of them for help, a bare `swarm` or an unknown word. */
function needed (argv: string[] | undefined, io: CliIO): typeof commands {
  if (argv === undefined) return commands
  let word: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break
    if (argv[i] === '--home') { i++; continue }
    if (!argv[i].startsWith('-')) { word = argv[i]; break }
  }
  if (word === undefined || word === 'help') return commands
  const match = commands.filter((register) => topLevelNames(register, io).includes(word))
  return match.length > 0 ? match : commands
}

/** The top-level names (and aliases) a descriptor registers, found by running it against a
 *  recorder that accepts any chained call, so descriptors stay plain commander code. */
function topLevelNames (register: (typeof commands)[number], io: CliIO): string[] {
  const names: string[] = []
  let depth = 0
  const sub: any = new Proxy(function () {}, { get: () => () => sub, apply: () => sub })
  const top: any = new Proxy(function () {}, {
    get: (_t, prop) => {
      if (prop === 'alias') return (a: string) => { if (depth === 1) names.push(a); return top }
      return () => top
    },
    apply: () => top
  })
  const root: any = new Proxy(function () {}, {
    get: (_t, prop) => prop === 'command'
      ? (spec: string) => { names.push(spec.split(' ')[0]); depth = 1; return new Proxy(top, { get: (t, p) => p === 'command' ? () => sub : Reflect.get(t, p) }) }
      : () => root
  })
  register(root, io)
  return names
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
