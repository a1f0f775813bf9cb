// The swarm's small vocabularies, said once: scopes, urgencies, contribution kinds, origins,
// roles, resolutions, … The envelope schemas, the control methods' table, the CLI and the MCP
// tools all take them from here. No imports, so the CLI can read them without loading zod.

export const URGENCIES = ['low', 'normal', 'high', 'critical'] as const
/** `private-to-swarm` is Orbiplex's spelling of `private`; both are accepted, builders write `private`. */
export const SCOPES = ['private', 'federation-local', 'cross-federation', 'global'] as const
export const SCOPE_SYNONYMS: Readonly<Record<string, typeof SCOPES[number]>> = { 'private-to-swarm': 'private' }
export const CONTRIBUTION_KINDS = ['partial-answer', 'fact', 'hypothesis', 'recommendation', 'clarification-request', 'clarification', 'objection'] as const
export const ORIGINS = ['node-generated', 'node-mediated-human', 'human-live'] as const
export const PRESENCE_EVENTS = ['join', 'heartbeat', 'leave'] as const
export const ROLES = ['asker', 'secretary', 'shadow', 'participant', 'watcher'] as const
export const CLAIM_MODES = ['takeover', 'shadow', 'step-back', 'resume'] as const
export const SUMMARY_STATUSES = ['intermediate', 'final'] as const
export const RESOLUTIONS = ['accepted-answer', 'resolved', 'handed-off', 'withdrawn', 'expired'] as const
export const OUTCOMES = ['success', 'failure'] as const
export const OPERATIONS = ['create', 'modify', 'delete'] as const
export const RISKS = ['low', 'medium', 'high'] as const
