// The daemon's services, in start order. Each is constructed with the components it needs and
// registers its own control methods, topics and protocols in start().

import type { SwarmComponents, SwarmService } from './components.ts'
import { questionBus } from '../bus/index.ts'
import { createConsensusService } from '../consensus/service.ts'
import { TaskService } from '../tasks/service.ts'
import { WebService } from '../web/server.ts'

export function createServices (c: SwarmComponents): SwarmService[] {
  const services: SwarmService[] = []
  services.push(questionBus(c))
  services.push(createConsensusService(c))
  services.push(new TaskService(c))
  services.push(new WebService(c))
  return services
}
