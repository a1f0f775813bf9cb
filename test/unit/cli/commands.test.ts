// The CLI builds only the command argv names, found by its key in the commands table: each key
// must be the top-level command its descriptor registers, or that command would be unreachable.

import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { commands } from '../../../src/cli/commands/index.ts'
import { buildProgram } from '../../../src/cli/program.ts'
import type { CliIO } from '../../../src/cli/context.ts'

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} }

describe('cli commands table', () => {
  it('keys each descriptor by the one top-level command it registers', async () => {
    for (const [name, load] of Object.entries(commands)) {
      const program = new Command('swarm')
      ;(await load()).default(program, io)
      expect(program.commands.map((c) => c.name()), name).toEqual([name])
    }
  })

  it('builds only the named command, and every command for help or an unknown word', async () => {
    const all = Object.keys(commands).sort()
    expect((await buildProgram(io, ['--home', '/tmp/x', 'id', '--json'])).commands.map((c) => c.name())).toEqual(['id'])
    expect((await buildProgram(io, ['task', 'list'])).commands.map((c) => c.name())).toEqual(['task'])
    for (const argv of [[], ['help'], ['--help'], ['no-such-command'], ['--', 'id']]) {
      expect((await buildProgram(io, argv)).commands.map((c) => c.name()).sort(), argv.join(' ')).toEqual(all)
    }
  })
})
