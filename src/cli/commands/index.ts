// Every command the CLI knows, one file each, keyed by the top-level command it registers. A
// command's file is loaded only when argv names it (its code stays out of every other command's
// start; all of them load for help); test/unit/cli/commands.test.ts keeps keys and names in step.
import type { Command } from 'commander'
import type { CliIO } from '../context.ts'

export type RegisterCommand = (program: Command, io: CliIO) => void
type Load = () => Promise<{ default: RegisterCommand }>

export const commands: Readonly<Record<string, Load>> = {
  init: async () => await import('./init.ts'),
  daemon: async () => await import('./daemon.ts'),
  start: async () => await import('./start.ts'),
  stop: async () => await import('./stop.ts'),
  status: async () => await import('./status.ts'),
  id: async () => await import('./id.ts'),
  connect: async () => await import('./connect.ts'),
  peers: async () => await import('./peers.ts'),
  ping: async () => await import('./ping.ts'),
  stats: async () => await import('./stats.ts'),
  config: async () => await import('./config.ts'),
  events: async () => await import('./events.ts'),
  log: async () => await import('./log.ts'),
  envelope: async () => await import('./envelope.ts'),
  ask: async () => await import('./ask.ts'),
  questions: async () => await import('./questions.ts'),
  show: async () => await import('./show.ts'),
  answer: async () => await import('./answer.ts'),
  watch: async () => await import('./watch.ts'),
  close: async () => await import('./close.ts'),
  consensus: async () => await import('./consensus.ts'),
  task: async () => await import('./task.ts'),
  capabilities: async () => await import('./capabilities.ts'),
  audit: async () => await import('./audit.ts'),
  reflect: async () => await import('./reflect.ts'),
  knowledge: async () => await import('./knowledge.ts'),
  federation: async () => await import('./federation.ts'),
  summarize: async () => await import('./summarize.ts'),
  decompose: async () => await import('./decompose.ts'),
  reputation: async () => await import('./reputation.ts'),
  mcp: async () => await import('./mcp.ts'),
  blob: async () => await import('./blob.ts'),
  bootstrap: async () => await import('./bootstrap.ts')
}
