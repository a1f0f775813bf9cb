import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { lineChanges } from '../../../src/consensus/diff.ts'

/** Reference: LCS by dynamic programming; edits = n + m - 2·lcs. */
function referenceEdits (before: string, after: string): number {
  const a = before.split('\n')
  const b = after.split('\n')
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1])
    }
  }
  return a.length + b.length - 2 * dp[0][0]
}

describe('lineChanges', () => {
  it.each([
    ['identical', 'a\nb\nc', 'a\nb\nc', { inserted: 0, deleted: 0, bytes: 0 }],
    ['one line changed', 'a\nb\nc', 'a\nB\nc', { inserted: 1, deleted: 1, bytes: 4 }],
    ['one line added', 'a\nc', 'a\nb\nc', { inserted: 1, deleted: 0, bytes: 2 }],
    ['one line removed', 'a\nb\nc', 'a\nc', { inserted: 0, deleted: 1, bytes: 2 }],
    ['from empty', '', 'xy\nz', { inserted: 2, deleted: 1, bytes: 6 }],
    ['multi-byte', 'a', 'ż', { inserted: 1, deleted: 1, bytes: 5 }]
  ])('%s', (_name, before, after, expected) => {
    expect(lineChanges(before, after, 20)).toEqual(expected)
  })

  it('finds two distant edits in a long file cheaply', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`)
    const changed = [...lines]
    changed[10] = 'changed'
    changed[4000] = 'changed too'
    expect(lineChanges(lines.join('\n'), changed.join('\n'), 20)).toMatchObject({ inserted: 2, deleted: 2 })
  })

  it('gives up beyond maxEdits', () => {
    expect(lineChanges('a\nb\nc\nd', 'w\nx\ny\nz', 7)).toBeUndefined()
    expect(lineChanges('a\nb\nc\nd', 'w\nx\ny\nz', 8)).toMatchObject({ inserted: 4, deleted: 4 })
  })

  it('agrees with an LCS reference on the number of edits', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'dd', ''), { maxLength: 12 }).map(ls => ls.join('\n'))
    fc.assert(fc.property(text, text, (x, y) => {
      const ref = referenceEdits(x, y)
      const got = lineChanges(x, y, 30)
      expect(got).toBeDefined()
      expect(got!.inserted + got!.deleted).toBe(ref)
      expect(lineChanges(x, y, ref)).toBeDefined()
      if (ref > 0) expect(lineChanges(x, y, ref - 1)).toBeUndefined()
    }))
  })
})
