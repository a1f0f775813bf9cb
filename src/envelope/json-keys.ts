// Duplicate member names in JSON text (RFC 8259 §4 says names SHOULD be unique; JSON.parse keeps
// the last). An envelope with a repeated key reads differently to different parsers, and two byte
// strings that parse to one object could share a gossipsub id while only one of them is valid, so
// such text is refused outright. The check counts member names in the text and compares with the
// parsed value: no second parser.

/**
 * Number of member names in JSON text that JSON.parse accepted: strings followed (after optional
 * whitespace) by ':'. Each string is skipped with indexOf from its opening quote to the next quote
 * that an even number of backslashes precedes; native search instead of a walk through every
 * character of every string (5 µs → under 1 µs for a 1 KiB envelope).
 */
export function countJsonNames (text: string): number {
  let names = 0
  const n = text.length
  // outside strings, the next quote always opens one
  for (let open = text.indexOf('"'); open !== -1; open = text.indexOf('"', open)) {
    let close = text.indexOf('"', open + 1)
    while (close !== -1 && escaped(text, close)) close = text.indexOf('"', close + 1)
    if (close === -1) break
    let j = close + 1
    let c = 0
    while (j < n && ((c = text.charCodeAt(j)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) j++
    if (j < n && c === 0x3a) names++
    open = close + 1
  }
  return names
}

/** True when an odd number of backslashes precedes position `at`. */
function escaped (text: string, at: number): boolean {
  let k = at - 1
  while (k >= 0 && text.charCodeAt(k) === 0x5c) k--
  return ((at - 1 - k) & 1) === 1
}

/** Number of own member names in a parsed JSON value, all levels. */
export function countValueNames (value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  let names = 0
  if (Array.isArray(value)) {
    for (const v of value) names += countValueNames(v)
    return names
  }
  const keys = Object.keys(value)
  names += keys.length
  for (const k of keys) names += countValueNames((value as Record<string, unknown>)[k])
  return names
}

/** True when `text` (already accepted by JSON.parse as `value`) repeats a member name in some object. */
export function hasDuplicateNames (text: string, value: unknown): boolean {
  return countJsonNames(text) !== countValueNames(value)
}
