// Every command the CLI knows, one file each, keyed by the top-level command it registers. A
// command's file is loaded only when argv names it (its code stays out of every other command's
// start). The top-level help lists each command from its term and summary here, so `swarm --help`
// loads none of them; test/unit/cli/commands.test.ts keeps keys, terms and summaries in step
// with what each file registers.
import type { Command } from 'commander'
import type { CliIO } from '../context.ts'

export type RegisterCommand = (program: Command, io: CliIO) => void

export interface CommandEntry {
  /** How the help's command list shows it: the name, `[options]` when it has any, its arguments. */
  readonly term: string
  /** Its description, as its file registers it. */
  readonly summary: string
  readonly load: () => Promise<{ default: RegisterCommand }>
}

export const commands: Readonly<Record<string, CommandEntry>> = {
  init: {
    term: 'init [options]',
    summary: 'create a home: config.json, key (0600) and db/',
    load: async () => await import('./init.ts')
  },
  daemon: {
    term: 'daemon [options]',
    summary: 'run the daemon (foreground; --detach for background)',
    load: async () => await import('./daemon.ts')
  },
  start: {
    term: 'start [options]',
    summary: 'create the home if there is none, then run the daemon in the foreground (what npm start does)',
    load: async () => await import('./start.ts')
  },
  stop: {
    term: 'stop',
    summary: 'stop the daemon gracefully and wait until it has exited',
    load: async () => await import('./stop.ts')
  },
  status: {
    term: 'status',
    summary: 'is the daemon running? (exit 3 when not)',
    load: async () => await import('./status.ts')
  },
  id: {
    term: 'id',
    summary: 'this node\'s ids, key and federation (works offline); addresses when the daemon runs',
    load: async () => await import('./id.ts')
  },
  connect: {
    term: 'connect <multiaddr>',
    summary: 'dial a peer',
    load: async () => await import('./connect.ts')
  },
  peers: {
    term: 'peers',
    summary: 'connected peers',
    load: async () => await import('./peers.ts')
  },
  ping: {
    term: 'ping [options] <peerId>',
    summary: 'round-trip time to a connected (or dialable) peer',
    load: async () => await import('./ping.ts')
  },
  stats: {
    term: 'stats',
    summary: 'live numbers: peers, topics, envelopes accepted and rejected by reason, …',
    load: async () => await import('./stats.ts')
  },
  config: {
    term: 'config',
    summary: 'show or change the configuration',
    load: async () => await import('./config.ts')
  },
  events: {
    term: 'events [options]',
    summary: 'stream the daemon\'s events (NDJSON with --json) until interrupted',
    load: async () => await import('./events.ts')
  },
  log: {
    term: 'log [options]',
    summary: 'read daemon.log (structured JSON); --follow keeps reading',
    load: async () => await import('./log.ts')
  },
  envelope: {
    term: 'envelope',
    summary: 'build, sign and verify envelopes (no daemon needed)',
    load: async () => await import('./envelope.ts')
  },
  ask: {
    term: 'ask [options] [text]',
    summary: 'broadcast a signed question to the swarm; its response channel opens at once',
    load: async () => await import('./ask.ts')
  },
  questions: {
    term: 'questions [options]',
    summary: 'questions this node asked, received (and may answer) or joined, most urgent first',
    load: async () => await import('./questions.ts')
  },
  show: {
    term: 'show <id>',
    summary: 'a question, its state, secretary, participants and contributions',
    load: async () => await import('./show.ts')
  },
  answer: {
    term: 'answer [options] <id> <text>',
    summary: 'contribute to a question\'s response channel (refused: late, closed, filtered-out, no-follow-ups)',
    load: async () => await import('./answer.ts')
  },
  watch: {
    term: 'watch [options] <id>',
    summary: 'follow a question\'s response channel live until it is closed or expires',
    load: async () => await import('./watch.ts')
  },
  close: {
    term: 'close [options] <id>',
    summary: 'close a question you asked (or act for as secretary) with a signed resolution',
    load: async () => await import('./close.ts')
  },
  consensus: {
    term: 'consensus',
    summary: 'ask the federation to approve a risky change, and vote on others\' proposals',
    load: async () => await import('./consensus.ts')
  },
  task: {
    term: 'task',
    summary: 'delegate work to capable peers, and see the tasks in and out',
    load: async () => await import('./task.ts')
  },
  capabilities: {
    term: 'capabilities',
    summary: 'what this node offers, and the unexpired capability adverts of its peers',
    load: async () => await import('./capabilities.ts')
  },
  audit: {
    term: 'audit [options]',
    summary: 'the hash-chained audit log (tasks, consensus, …) and whether its chain is intact',
    load: async () => await import('./audit.ts')
  },
  reflect: {
    term: 'reflect',
    summary: 'record what worked (or did not), share successes, search what this node knows',
    load: async () => await import('./reflect.ts')
  },
  knowledge: {
    term: 'knowledge [options] <query...>',
    summary: 'ask connected peers what they know, merged with local reflections',
    load: async () => await import('./knowledge.ts')
  },
  federation: {
    term: 'federation',
    summary: 'federation roots, membership certificates, rotation and revocation',
    load: async () => await import('./federation.ts')
  },
  summarize: {
    term: 'summarize [options] <id>',
    summary: 'merge a question\'s contributions into a signed summary (facts, hypotheses, recommendations, uncertainty) and publish it',
    load: async () => await import('./summarize.ts')
  },
  decompose: {
    term: 'decompose [options] <id> <subquestions...>',
    summary: 'split a question into sub-questions routed to matching nodes; their summaries feed the parent\'s',
    load: async () => await import('./decompose.ts')
  },
  reputation: {
    term: 'reputation [nodeIds...]',
    summary: 'local reputation of the nodes this node dealt with: score, accepted, objected, invalid',
    load: async () => await import('./reputation.ts')
  },
  mcp: {
    term: 'mcp [options]',
    summary: 'serve the swarm to an MCP client over stdio (tools swarm_ask, swarm_watch, swarm_answer, …; resources swarm://question/<id>)',
    load: async () => await import('./mcp.ts')
  },
  blob: {
    term: 'blob',
    summary: 'attachments by content id: get, put, ls',
    load: async () => await import('./blob.ts')
  },
  bootstrap: {
    term: 'bootstrap',
    summary: 'the peers the daemon dials at start (config.json bootstrap)',
    load: async () => await import('./bootstrap.ts')
  }
}
