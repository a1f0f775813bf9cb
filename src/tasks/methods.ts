// The tasks part's control methods: task.run, task.list, capabilities, audit (parameters parsed
// by the shared table, src/control/methods).

import type { MethodRegistry } from '../control/server.ts'
import { handle } from '../control/methods/index.ts'
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
  control.register('task.run', async (params: unknown, ctx) => await t.run(parseRunParams(params), ctx.signal))
  handle(control, 'task.list', async (params) => {
    const limit = params.limit === undefined ? undefined : Math.min(params.limit, TASK_RECORDS_KEEP)
    return await t.records.list({ limit, direction: params.direction })
  })
  handle(control, 'capabilities', async () => {
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
  handle(control, 'audit', async (params, ctx) => {
    const verdict = await t.audit.verify({ signal: ctx.signal })
    const log = await t.audit.list({
      limit: params.limit ?? 100,
      kind: params.kind,
      correlationId: params.correlationId,
      since: params.since,
      signal: ctx.signal
    })
    return { ...verdict, log }
  })
}
