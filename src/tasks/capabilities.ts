// What this node can do for the swarm, and whether it takes a given task. The advert built from
// detectCapabilities() is what peers select on; checkTaskAcceptable() re-checks every incoming
// task, because an advert can be stale and a peer can lie about having read it.

import { SwarmError } from '../errors.ts'
import { pythonAvailable } from './executors/python.ts'
import { probeJail, type IsolationClass, type JailPlan, type JailProbe } from './executors/jail.ts'
import type { OpenAIEndpoint } from './executors/code-generation.ts'
import { TASK_TYPES } from './constants.ts'

export type TaskType = typeof TASK_TYPES[number]

/** The capabilities a task type needs on the node that runs it. */
export const TASK_REQUIREMENTS: Readonly<Record<TaskType, readonly string[]>> = {
  'python-computation': ['python-execution'],
  'code-generation': ['code-generation'],
  'file-analysis': ['file-management']
}

export interface CapabilityInput {
  /** Config `tasks.accept`: the task types the operator lets peers run here. */
  tasksAccept: string[]
  safePrefixes: string[]
  openaiEndpoints: OpenAIEndpoint[]
  models: string[]
  languages: string[]
  /** Interpreter for python-computation (default python3). */
  python?: string
  /** tasks.unsafeHostExecution: python on the host when no jail works (refused as root). */
  unsafeHostExecution?: boolean
  /** Whether the daemon runs as root (default: process.getuid() === 0). */
  root?: boolean
  /** How the jail is probed (default probeJail; tests pass a jail that is missing). */
  probe?: (python: string) => Promise<JailProbe>
}

/** How python-computation would run here, and why (for the operator's log). */
export interface PythonExecutor {
  isolation: IsolationClass
  /** Set for `bwrap`. */
  jail?: JailPlan
  /** False when remote python is refused here; `why` says why. */
  usable: boolean
  why: string
}

/**
 * The python executor this node can offer: the bubblewrap jail when it works, else the host only
 * when the operator said tasks.unsafeHostExecution and the daemon is not root, else none.
 */
export async function pythonExecutor (input: CapabilityInput): Promise<PythonExecutor> {
  const python = input.python ?? 'python3'
  const probe = await (input.probe ?? probeJail)(python)
  if (probe.ok) return { isolation: 'bwrap', jail: probe.plan, usable: true, why: `jailed with bubblewrap (${probe.plan.layout.exe})` }
  const noJail = `no jail: ${probe.reason}`
  if (input.unsafeHostExecution !== true) return { isolation: 'none', usable: false, why: `${noJail}; remote python refused (tasks.unsafeHostExecution is false)` }
  if (input.root ?? process.getuid?.() === 0) return { isolation: 'none', usable: false, why: `${noJail}; tasks.unsafeHostExecution is refused when the daemon runs as root` }
  if (!await pythonAvailable(python)) return { isolation: 'none', usable: false, why: `no usable Python 3 interpreter "${python}"` }
  return { isolation: 'none', usable: true, why: `${noJail}; UNSAFE: remote python runs on the host as the daemon's user (tasks.unsafeHostExecution)` }
}

export interface Capabilities {
  capabilities: string[]
  /** Accepted task types whose requirements are all met: what the advert offers. */
  taskTypes: string[]
  models: string[]
  languages: string[]
  /** The python executor's isolation class, when python-computation is offered. */
  isolation?: IsolationClass
}

export async function detectCapabilities (input: CapabilityInput, executor?: PythonExecutor): Promise<Capabilities> {
  const capabilities: string[] = []
  let isolation: IsolationClass | undefined
  // Python is probed only when python tasks are accepted: no advert for a power nobody may use.
  if (input.tasksAccept.includes('python-computation')) {
    const py = executor ?? await pythonExecutor(input)
    if (py.usable) { capabilities.push('python-execution'); isolation = py.isolation }
  }
  if (input.openaiEndpoints.length > 0) capabilities.push('code-generation')
  if (input.safePrefixes.length > 0) capabilities.push('file-management')
  const taskTypes = TASK_TYPES.filter(t => input.tasksAccept.includes(t) && TASK_REQUIREMENTS[t].every(c => capabilities.includes(c)))
  return { capabilities, taskTypes, models: [...input.models], languages: [...input.languages], ...(isolation === undefined ? {} : { isolation }) }
}

export function isTaskType (type: string): type is TaskType {
  return Object.hasOwn(TASK_REQUIREMENTS, type)
}

/** null if this node takes `type`, else why not: `unsupported-task`, `not-accepted`, `not-capable`. */
export function checkTaskAcceptable (type: string, accept: readonly string[], capabilities: readonly string[]): SwarmError | null {
  if (!isTaskType(type)) return new SwarmError('unsupported-task', `unknown task type ${JSON.stringify(type)}`, { detail: { type } })
  if (!accept.includes(type)) return new SwarmError('not-accepted', `this node does not accept ${type} tasks`, { detail: { type } })
  const missing = TASK_REQUIREMENTS[type].filter(c => !capabilities.includes(c))
  if (missing.length > 0) return new SwarmError('not-capable', `this node lacks ${missing.join(', ')} for ${type}`, { detail: { type, missing } })
  return null
}
