// What strangers wrote reaches the operator's terminal through the CLI's human output: control
// sequences (screen clears, OSC 52 clipboard writes, title changes) and bidi overrides are shown
// as escapes, never sent raw; ordinary text, tabs and newlines pass unchanged; --json is JSON.

import { Writable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPrinter, terminalSafe } from '../../../src/cli/output.ts'

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

function sink (): { w: Writable, text: () => string } {
  let out = ''
  return { w: new Writable({ write (c, _e, cb) { out += String(c); cb() } }), text: () => out }
}

describe('terminal-safe output', () => {
  it('escapes control sequences and bidi overrides, keeps text, tabs and newlines', () => {
    expect(terminalSafe('\u001b]52;c;aGk=\u0007\u001b[2Jok')).toBe('\\x1b]52;c;aGk=\\x07\\x1b[2Jok')
    expect(terminalSafe('report\u202etxt.sh')).toBe('report\\u202etxt.sh')
    expect(terminalSafe('a\u0085b\u009bc\u007f')).toBe('a\\x85b\\x9bc\\x7f')
    expect(terminalSafe('line one\n\tline two — ünïcödé 漢字 🐝')).toBe('line one\n\tline two — ünïcödé 漢字 🐝')
  })

  it('property: no unsafe character survives, and safe text is unchanged', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const out = terminalSafe(s)
      expect(UNSAFE.test(out)).toBe(false)
      if (!UNSAFE.test(s)) expect(out).toBe(s)
    }), { numRuns: 500 })
  })

  it('the printer makes human output safe and leaves JSON to JSON', () => {
    const out = sink()
    const err = sink()
    const human = createPrinter({ json: false, stdout: out.w, stderr: err.w })
    human.result({ text: 'hi\u001b[2J' }, (v) => v.text)
    human.line('x\u009b31m')
    human.warn('y\u001b]0;owned\u0007')
    expect(UNSAFE.test(out.text() + err.text())).toBe(false)
    const js = sink()
    createPrinter({ json: true, stdout: js.w, stderr: err.w }).result({ text: 'hi\u001b[2J' })
    expect(JSON.parse(js.text())).toEqual({ text: 'hi\u001b[2J' })
  })
})
