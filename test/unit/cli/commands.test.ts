// The CLI builds only the command argv names, found by its key in the commands table: each key
// must be the top-level command its descriptor registers, or that command would be unreachable;
// and the top-level help lists the table's terms and summaries, so they must be what each
// descriptor registers.

import { Command, Help } from 'commander'
import { describe, expect, it, vi } from 'vitest'
import { commands } from '../../../src/cli/commands/index.ts'
import { buildProgram } from '../../../src/cli/program.ts'
import type { CliIO } from '../../../src/cli/context.ts'

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} }

/** Everything a program's help writes, captured. */
async function helpOf (program: Command): Promise<string> {
  let out = ''
  program.configureOutput({ writeOut: (s) => { out += s } })
  program.outputHelp()
  return out
}

describe('cli commands table', () => {
  it('keys each descriptor by the one top-level command it registers, with its term and summary', async () => {
    const help = new Help()
    for (const [name, entry] of Object.entries(commands)) {
      const program = new Command('swarm')
      ;(await entry.load()).default(program, io)
      expect(program.commands.map((c) => c.name()), name).toEqual([name])
      expect(help.subcommandTerm(program.commands[0]), name).toBe(entry.term)
      expect(program.commands[0].description(), name).toBe(entry.summary)
    }
  })

  it('loads only the named command, and none for the top-level help, --version or an unknown word', async () => {
    const all = Object.keys(commands).sort()
    const loads = Object.entries(commands).map(([name, entry]) => [name, vi.spyOn(entry, 'load')] as const)
    const loaded = async (argv: string[]): Promise<string[]> => {
      for (const [, spy] of loads) spy.mockClear()
      await buildProgram(io, argv)
      return loads.filter(([, spy]) => spy.mock.calls.length > 0).map(([name]) => name)
    }
    try {
      expect(await loaded(['--home', '/tmp/x', 'id', '--json'])).toEqual(['id'])
      expect(await loaded(['task', 'list'])).toEqual(['task'])
      expect(await loaded(['help', 'ask'])).toEqual(['ask'])
      expect(await loaded(['--', 'id'])).toEqual(['id'])
      for (const argv of [[], ['help'], ['--help'], ['--version'], ['no-such-command'], ['--']]) {
        expect(await loaded(argv), argv.join(' ')).toEqual([])
        // …yet every command is listed by name, for help and for commander's "did you mean"
        expect((await buildProgram(io, argv)).commands.map((c) => c.name()).filter((n) => n !== 'help').sort(), argv.join(' ')).toEqual(all)
      }
    } finally {
      vi.restoreAllMocks()
    }
  })

  it('lists the same help without loading a command as with all of them loaded', async () => {
    expect(await helpOf(await buildProgram(io, ['--help']))).toBe(await helpOf(await buildProgram(io)))
  })
})
