// Search tokenizer: lowercase runs of Unicode letters/digits, minus a small English stopword
// list, with a light suffix stemmer (plural, -ing, -ed, final e) so "rotate", "rotates",
// "rotating" and "rotated" meet on one token. Queries and documents go through the same path.

const STOPWORDS = new Set(`a an and are as at be but by can do does for from had has have how i if in
into is it its my no not of on or our so than that the their then there these they this to was
we were what when where which while who why will with you your`.split(/\s+/))

/** Longer tokens are cut: they are ids or blobs, and keys must stay short. */
export const MAX_TOKEN_CHARS = 48

const SPLIT_RE = /[^\p{L}\p{N}]+/u
/** word → token ('' when dropped). Vocabularies repeat heavily, so ingest mostly hits here. */
const cache = new Map<string, string>()
const CACHE_MAX = 100_000
export function stem (word: string): string {
  let w = word
  if (w.length > 4 && w.endsWith('ies')) w = w.slice(0, -3) + 'y'
  else if (w.length > 3 && w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1)
  if (w.length > 5 && w.endsWith('ing')) w = undouble(w.slice(0, -3))
  else if (w.length > 4 && w.endsWith('ed') && !w.endsWith('eed')) w = undouble(w.slice(0, -2))
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1)
  return w
}

// "running" → "run", "stopped" → "stop", but "falling" → "fall".
function undouble (w: string): string {
  const n = w.length
  if (n > 3 && w[n - 1] === w[n - 2] && !'lsz'.includes(w[n - 1]) && /[a-z]/.test(w[n - 1])) return w.slice(0, -1)
  return w
}

function toToken (word: string): string {
  if (STOPWORDS.has(word)) return ''
  if (word.length === 1 && !/\p{N}/u.test(word)) return ''
  return stem(word.length > MAX_TOKEN_CHARS ? word.slice(0, MAX_TOKEN_CHARS) : word)
}

export function tokenize (text: string): string[] {
  const out: string[] = []
  for (const word of text.toLowerCase().split(SPLIT_RE)) {
    if (word === '') continue
    let tok = cache.get(word)
    if (tok === undefined) {
      tok = toToken(word)
      if (cache.size >= CACHE_MAX) cache.clear()
      cache.set(word, tok)
    }
    if (tok !== '') out.push(tok)
  }
  return out
}
