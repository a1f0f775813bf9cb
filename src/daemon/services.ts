// The daemon's services, in start order. Each is constructed with the components it needs and
// registers its own control methods, topics and protocols in start().

import type { SwarmComponents, SwarmService } from './components.ts'

export function createServices (c: SwarmComponents): SwarmService[] {
  const services: SwarmService[] = []
  void c
  return services
}
