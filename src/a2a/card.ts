// The Agent Card a swarmd node publishes at /.well-known/agent-card.json: one skill to ask the
// swarm, one per task type the swarm can run for it, and the bearer scheme its endpoint wants.

import { A2A_PROTOCOL_VERSION, type AgentCard, type AgentSkill } from '@a2a-js/sdk'

export const JSONRPC_PATH = '/a2a/jsonrpc'
export const ASK_SKILL = 'swarm-ask'
const LEGACY_VERSION = '0.3'

export interface CardInit {
  /** `http://host:port` the endpoint is reached at. */
  baseUrl: string
  nodeId: string
  federation: string
  version: string
  /** Task types this node or its peers run (the `task:<type>` skills). */
  taskTypes: string[]
}

const skill = (id: string, name: string, description: string, tags: string[], examples: string[]): AgentSkill =>
  ({ id, name, description, tags, examples, inputModes: ['text/plain', 'application/json'], outputModes: ['text/plain', 'application/json'], securityRequirements: [] })

/** The card's skills: asking, and a `task:<type>` per task type the swarm can run for this node. */
export function cardSkills (c: Pick<CardInit, 'federation' | 'taskTypes'>): AgentSkill[] {
  return [
    skill(ASK_SKILL, 'Ask the swarm', 'Broadcast the message as a signed question to the swarm of agents in federation ' + c.federation + '; their contributions stream back as artifacts, the signed summary is the final artifact. A clarification request from the swarm puts the task in input-required: reply on the same task. Options in message metadata "swarmd": scope, tags, urgency, ttl (s), wait (s), contributions (stop after this many).', ['swarm', 'ask', 'p2p', 'many-to-many'], ['How do I rotate a federation trust root safely?']),
    ...[...new Set(c.taskTypes)].sort().map((t) => skill(`task:${t}`, `Run ${t}`, `Delegate a ${t} task to a capable peer of the swarm: send a data part {"taskType": "${t}", "data": {…}}; the result is the artifact.`, ['swarm', 'task', t], []))
  ]
}

export function buildAgentCard (c: CardInit): AgentCard {
  const url = c.baseUrl.replace(/\/$/, '') + JSONRPC_PATH
  const skills = cardSkills(c)
  return {
    name: `swarmd ${c.nodeId.slice(-12)}`,
    description: `A swarmd node (${c.nodeId}) of federation ${c.federation}: asks a peer-to-peer swarm of agents and streams back their many answers and a signed summary.`,
    supportedInterfaces: [
      { url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      // the same endpoint speaks v0.3 (message/send, message/stream, tasks/get, tasks/cancel)
      { url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: LEGACY_VERSION }
    ],
    provider: { organization: 'swarmd', url: c.baseUrl },
    version: c.version,
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: { bearer: { scheme: { $case: 'httpAuthSecurityScheme', value: { description: `the token in the node's home (${'a2a-token'})`, scheme: 'Bearer', bearerFormat: 'opaque' } } } },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain', 'application/json'],
    skills,
    signatures: []
  }
}
