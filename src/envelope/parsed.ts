// Parse each gossip message once: the message-id function (msg-id.ts) parses a message's bytes to
// hash its content, and the topic validator that runs next on the very same bytes takes that
// parse instead of decoding and parsing again. Keyed weakly by the bytes, so a message that is
// dropped as a duplicate before validation leaves nothing behind.

/** A UTF-8 JSON text, the object it parses to, and the fact that no object in it repeats a member name. */
export interface ParsedText { text: string, value: object }

const parsed = new WeakMap<Uint8Array, ParsedText>()

export function rememberParsed (data: Uint8Array, p: ParsedText): void {
  parsed.set(data, p)
}

/** The parse of exactly these bytes, left in place for the validator (the topic router reads its signer first). */
export function peekParsed (data: Uint8Array): ParsedText | undefined {
  return parsed.get(data)
}

/** The parse of exactly these bytes, once (the entry is dropped as it is taken). */
export function takeParsed (data: Uint8Array): ParsedText | undefined {
  const p = parsed.get(data)
  if (p !== undefined) parsed.delete(data)
  return p
}
