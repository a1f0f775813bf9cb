// Reflection errors. Codes cross the control socket (`bad-outcome`, `bad-reflection`), so
// scripts match on them; `detail.field` names the input field that was wrong.

import { SwarmError } from '../errors.ts'

export class BadOutcomeError extends SwarmError {
  constructor (input: unknown) {
    super('bad-outcome', `outcome must be success or failure (also accepted: successful, failed), got ${JSON.stringify(input)}`, { detail: { field: 'outcome' } })
    this.name = 'BadOutcomeError'
  }
}

export class BadReflectionError extends SwarmError {
  constructor (field: string, problem: string) {
    super('bad-reflection', `reflection ${field} ${problem}`, { detail: { field } })
    this.name = 'BadReflectionError'
  }
}

/** `reflect share` of a reflection that may not go out (a failure, or one too large to sign). */
export class NotShareableError extends SwarmError {
  constructor (id: string, reason: string, detail: Record<string, unknown> = {}) {
    super('not-shareable', `reflection ${id} is not shared: ${reason}`, { detail: { id, reason, ...detail } })
    this.name = 'NotShareableError'
  }
}
