// The CLI's only way to the terminal: human text or JSON on stdout, messages on stderr.
// Commands get a Printer handed in, so tests capture output without touching process streams.

import type { Writable } from 'node:stream'

export interface Printer {
  readonly json: boolean
  /** One JSON document (with --json) or the human text `human` renders. */
  result: (value: unknown, human?: (value: any) => string) => void
  /** One NDJSON line for streams (with --json) or the human line. */
  event: (value: unknown, human?: (value: any) => string) => void
  /** A line of human text on stdout (ignored with --json). */
  line: (text: string) => void
  /** A message on stderr (always). */
  warn: (text: string) => void
  /** A spinner or progress note on stderr; a no-op when stderr is not a terminal or with --json. */
  progress: (text: string) => void
  /** Clears the progress line. */
  done: () => void
}

/**
 * Text as a terminal should get it: what strangers wrote (a question, an answer, a holder's
 * refusal) reaches the operator's terminal, where control sequences could rewrite the screen,
 * set the clipboard (OSC 52) or hide text, and bidi overrides could reverse a file name. C0
 * controls but tab and newline, DEL, C1 controls, line and paragraph separators, and the bidi
 * marks, embeddings, overrides and isolates are shown as escapes (`\x1b`, `\u202e`) instead. JSON output is left to JSON's own escaping.
 */
export function terminalSafe (text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

export function createPrinter (opts: { json: boolean, stdout?: Writable & { isTTY?: boolean }, stderr?: Writable & { isTTY?: boolean } }): Printer {
  const stdout = opts.stdout ?? process.stdout
  const stderr = opts.stderr ?? process.stderr
  const tty = stderr.isTTY === true && !opts.json
  let spinning = false
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
  let frame = 0
  const clear = (): void => {
    if (spinning) { stderr.write('\r\x1b[2K'); spinning = false }
  }
  return {
    json: opts.json,
    result (value, human) {
      clear()
      if (opts.json) stdout.write(JSON.stringify(value, null, 2) + '\n')
      else stdout.write(terminalSafe(human != null ? human(value) : defaultHuman(value)) + '\n')
    },
    event (value, human) {
      clear()
      if (opts.json) stdout.write(JSON.stringify(value) + '\n')
      else stdout.write(terminalSafe(human != null ? human(value) : defaultHuman(value)) + '\n')
    },
    line (text) {
      if (opts.json) return
      clear()
      stdout.write(terminalSafe(text) + '\n')
    },
    warn (text) {
      clear()
      stderr.write(terminalSafe(text) + '\n')
    },
    progress (text) {
      if (!tty) return
      stderr.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${text}`)
      spinning = true
    },
    done: clear
  }
}

function defaultHuman (value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined || value === null) return ''
  return JSON.stringify(value, null, 2)
}
