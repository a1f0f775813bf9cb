// The daemon's services, in start order. Each is constructed with exactly the collaborators it
// uses (a narrow typed view of another service where two cooperate, never a lookup by name) and
// registers its own control methods, topics and protocols in start(). Construction order may
// differ from start order: a collaborator is built before the service that holds it.

import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { questionBus } from '../bus/index.ts'
import { createConsensusService } from '../consensus/service.ts'
import { TaskService } from '../tasks/service.ts'
import { createReflectionService } from '../reflections/service.ts'
import { WebService } from '../web/server.ts'
import { FederationService } from '../federation/service.ts'
import { assistanceService } from '../synthesis/index.ts'
import { A2AService } from '../a2a/service.ts'
import { blobService } from '../blobs/service.ts'
import { NetService } from '../net/service.ts'
import { ReputationBook } from '../reputation/index.ts'

export interface DaemonServices {
  /** Every service, in start order (stopped in reverse). */
  all: SwarmService[]
  /** The two the daemon reads for `api.json` (their URLs once listening). */
  web: WebService
  a2a: A2AService
  /** The node's one reputation book (its cache counts show in `stats`). */
  reputation: ReputationBook
}

export function createServices (c: SwarmComponents): DaemonServices {
  // one book per node: a penalty charged by tasks is seen at once by the bus and synthesis
  const reputation = new ReputationBook(c.db.bucket('reputation'), c.config.reputation.default)
  const bus = questionBus({ ...c, reputation })
  // reflections read the bus's question records (a question's scope and recipients)
  const reflections = createReflectionService({ ...c, questions: bus.store, reputation })
  // attachments: fetches what the bus's accepted envelopes name, and a task's files for the executor
  const blobs = blobService(c)
  const web = new WebService(c)
  const a2a = new A2AService(c)
  const all: SwarmService[] = []
  // network view and bootstrap methods: status, stats and peers read it
  all.push(new NetService(c))
  // first: members must be known before the other parts receive anything
  if (c.membership !== undefined) all.push(new FederationService({ ...c, membership: c.membership }))
  // before the bus: its reflections answerer reads this service's store
  all.push(reflections)
  all.push(bus)
  // after the bus and reflections: it runs answerers on the bus's questions and reads reflections
  all.push(assistanceService({ ...c, bus, reputation, reflections }))
  all.push(createConsensusService(c))
  all.push(new TaskService({ ...c, reputation, attachments: blobs }))
  all.push(web)
  // last: it drives the others through the control socket, like any client
  all.push(a2a)
  all.push(blobs)
  return { all, web, a2a, reputation }
}
