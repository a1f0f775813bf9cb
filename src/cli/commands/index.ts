// Every command the CLI knows, one file each, keyed by the top-level command it registers (the
// CLI builds only the one argv names; test/unit/cli/commands.test.ts keeps keys and names in step).
import type { Command } from 'commander'
import type { CliIO } from '../context.ts'
import init from './init.ts'
import daemon from './daemon.ts'
import start from './start.ts'
import stop from './stop.ts'
import status from './status.ts'
import id from './id.ts'
import connect from './connect.ts'
import peers from './peers.ts'
import ping from './ping.ts'
import stats from './stats.ts'
import config from './config.ts'
import events from './events.ts'
import log from './log.ts'
import envelope from './envelope.ts'
import ask from './ask.ts'
import questions from './questions.ts'
import show from './show.ts'
import answer from './answer.ts'
import watch from './watch.ts'
import close from './close.ts'
import consensus from './consensus.ts'
import task from './task.ts'
import capabilities from './capabilities.ts'
import audit from './audit.ts'
import reflect from './reflect.ts'
import knowledge from './knowledge.ts'
import federation from './federation.ts'
import summarize from './summarize.ts'
import decompose from './decompose.ts'
import reputation from './reputation.ts'
import mcp from './mcp.ts'
import blob from './blob.ts'
import bootstrap from './bootstrap.ts'

export type RegisterCommand = (program: Command, io: CliIO) => void

export const commands: Readonly<Record<string, RegisterCommand>> = {
  init, daemon, start, stop, status, id, connect, peers, ping, stats, config, events, log, envelope,
  ask, questions, show, answer, watch, close,
  summarize, decompose, reputation,
  consensus,
  reflect, knowledge,
  task, capabilities, audit,
  federation,
  mcp,
  blob,
  bootstrap
}
