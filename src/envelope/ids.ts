// The id pattern, said once: every envelope and record id is `<kind>:<ULID>` (Crockford base32,
// 26 characters, no I, L, O or U). No imports: the page, the CLI and the daemon all share it.

/** A ULID's characters, as a regular-expression fragment. */
export const ULID = '[0-9A-HJKMNP-TV-Z]{26}'

/** `^<kind>:<ULID>$`. */
export function idPattern (kind: string): RegExp {
  return new RegExp(`^${kind}:${ULID}$`)
}

/** A question id, which names its response channel too. */
export const QUESTION_ID_PATTERN = idPattern('question')
/** A contribution id. */
export const CONTRIBUTION_ID_PATTERN = idPattern('contribution')
