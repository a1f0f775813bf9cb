// The tasks part's control methods: task.run, task.list, capabilities, audit.

import type { MethodRegistry } from '../control/server.ts'
import type { SwarmComponents } from '../kernel/components.ts'
import type { Capabilities } from './capabilities.ts'
import { TASK_RECORDS_KEEP } from './constants.ts'
import type { RunTaskResult } from './delegation.ts'
import type { TaskRecords } from './records.ts'
import { parseRunParams, type RunTaskParams } from './run-params.ts'

export interface TaskMethodsInit extends Pick<SwarmComponents, 'audit' | 'directory' | 'identity'> {
  records: TaskRecords
  local: () => Capabilities
  run: (params: RunTaskParams, signal: AbortSignal) => Promise<RunTaskResult>
}

export function registerTaskMethods (control: MethodRegistry, t: TaskMethodsInit): void {
  control.register('task.run', async (params: Record<string, unknown>, ctx) => await t.run(parseRunParams(params), ctx.signal))
  control.register('task.list', async (params: { limit?: unknown, direction?: unknown }) => {
    const limit = typeof params.limit === 'number' && params.limit > 0 ? Math.min(params.limit, TASK_RECORDS_KEEP) : undefined
    const direction = params.direction === 'in' || params.direction === 'out' ? params.direction : undefined
    return await t.records.list({ limit, direction })
  })
  control.register('capabilities', async () => {
    const local = t.local()
    return {
      local: { capabilities: local.capabilities, taskTypes: local.taskTypes, models: local.models, languages: local.languages, isolation: local.isolation ?? null },
      peers: t.directory.list({ federation: t.identity.federation }).map((e) => ({
        nodeId: e.nodeId,
        peerId: e.peerId,
        federation: e.federation,
        capabilities: e.capabilities,
        taskTypes: e.taskTypes,
        models: e.models,
        languages: e.languages,
        queueLength: e.queueLength,
        running: e.running,
        isolation: e.isolation ?? null,
        expiresAt: new Date(e.expiresAt).toISOString()
      }))
    }
  })
  control.register('audit', async (params: { limit?: unknown, kind?: unknown, correlationId?: unknown, since?: unknown }, ctx) => {
    const verdict = await t.audit.verify({ signal: ctx.signal })
    const log = await t.audit.list({
      limit: typeof params.limit === 'number' ? params.limit : 100,
      kind: typeof params.kind === 'string' ? params.kind : undefined,
      correlationId: typeof params.correlationId === 'string' ? params.correlationId : undefined,
      since: typeof params.since === 'number' || typeof params.since === 'string' ? params.since : undefined,
      signal: ctx.signal
    })
    return { ...verdict, log }
  })
}
