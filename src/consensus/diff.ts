// Line diff size between two texts (Myers, "An O(ND) Difference Algorithm", 1986), bounded: risk
// assessment only needs to know whether a change is small, so the search stops past `maxEdits`
// and costs O((N + M) · maxEdits) whatever the file size.

export interface LineChanges {
  inserted: number
  deleted: number
  /** UTF-8 bytes of the inserted and deleted lines, one newline each included. */
  bytes: number
}

/** The smallest line edit turning `before` into `after`, or undefined if it needs more than `maxEdits`. */
export function lineChanges (before: string, after: string, maxEdits: number): LineChanges | undefined {
  let a = before.split('\n')
  let b = after.split('\n')
  // Common head and tail cost nothing and are most of a typical file.
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  a = a.slice(head, a.length - tail)
  b = b.slice(head, b.length - tail)

  const n = a.length
  const m = b.length
  const max = Math.min(maxEdits, n + m)
  const off = max + 1
  const v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice())
    for (let k = -d; k <= d; k += 2) {
      let x = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) { x++; y++ }
      v[off + k] = x
      if (x >= n && y >= m) return walkBack(trace, a, b, d, n, m, off)
    }
  }
  return undefined
}

/** Replays the trace from the end to name the edits (only their count and size matter). */
function walkBack (trace: Int32Array[], a: string[], b: string[], edits: number, n: number, m: number, off: number): LineChanges {
  const out: LineChanges = { inserted: 0, deleted: 0, bytes: 0 }
  let x = n
  let y = m
  for (let d = edits; d > 0; d--) {
    const v = trace[d]
    const k = x - y
    const down = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])
    const prevK = down ? k + 1 : k - 1
    const prevX = v[off + prevK]
    const prevY = prevX - prevK
    if (down) {
      out.inserted++
      out.bytes += Buffer.byteLength(b[prevY]) + 1
    } else {
      out.deleted++
      out.bytes += Buffer.byteLength(a[prevX]) + 1
    }
    x = prevX
    y = prevY
  }
  return out
}
