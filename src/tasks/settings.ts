// The task-settings part of the config: what the task service re-reads when config.json changes.

import type { SwarmConfig } from '../config/schema.ts'
import { effectiveModels } from '../config/models.ts'
import type { OpenAIEndpoint } from './executors/code-generation.ts'

/** The task-settings part of the config, re-read when config.json changes. */
export function settingsOf (config: SwarmConfig): { accept: string[], safePrefixes: string[], endpoints: OpenAIEndpoint[], models: string[], languages: string[], python: string, timeoutSec: number, memoryMb: number, outputBytes: number, maxAttempts: number, unsafeHostExecution: boolean, allowFrom: string[] } {
  return {
    unsafeHostExecution: config.tasks.unsafeHostExecution,
    allowFrom: [...config.tasks.allowFrom],
    accept: [...config.tasks.accept],
    safePrefixes: [...config.tasks.safePrefixes],
    // code-generation endpoints are the `openai` answerers: one list of models per node
    endpoints: config.answerers.flatMap((a) => a.kind === 'openai' ? [{ baseUrl: a.baseUrl, model: a.model, ...(a.apiKeyEnv === undefined ? {} : { apiKeyEnv: a.apiKeyEnv }) }] : []),
    models: effectiveModels(config),
    languages: [...config.node.languages],
    python: config.tasks.python,
    timeoutSec: config.tasks.timeoutSec,
    memoryMb: config.tasks.memoryMb,
    outputBytes: config.tasks.outputBytes,
    maxAttempts: config.tasks.maxAttempts
  }
}

export type Settings = ReturnType<typeof settingsOf>
