// The daemon's services, in start order. Each is constructed with the components it needs and
// registers its own control methods, topics and protocols in start().

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

export function createServices (c: SwarmComponents): SwarmService[] {
  const services: SwarmService[] = []
  // network view and bootstrap methods: status, stats and peers read it
  services.push(new NetService(c))
  // first: members must be known before the other parts receive anything
  if (c.membership !== undefined) services.push(new FederationService({ ...c, membership: c.membership }))
  // before the bus: its reflections answerer reads this service's store
  services.push(createReflectionService(c))
  const bus = questionBus(c)
  services.push(bus)
  // after the bus and reflections: it runs answerers on the bus's questions and reads reflections
  services.push(assistanceService({ ...c, bus }))
  services.push(createConsensusService(c))
  services.push(new TaskService(c))
  services.push(new WebService(c))
  // last: it drives the others through the control socket, like any client
  services.push(new A2AService(c))
  // attachments: fetches what the bus's accepted envelopes name
  services.push(blobService(c))
  return services
}
