// Risk of a proposed self-modification, with reasons a voter can read (pure). High: core files,
// deletions, dynamic execution, paths leaving the project. Low: a small change to an ordinary
// file. Medium: everything else, including changes whose size cannot be measured.

import { matchesGlob, posix } from 'node:path'
import { LOW_RISK_MAX_CHANGED_BYTES, LOW_RISK_MAX_CHANGED_LINES } from './constants.ts'
import { lineChanges } from './diff.ts'
import { findDynamicExecutionIn } from './dynamic-execution.ts'

export type Risk = 'low' | 'medium' | 'high'
export type Operation = 'create' | 'modify' | 'delete'

export interface ModificationProposal {
  /** Project-relative path, `/` separated. */
  file: string
  operation: Operation
  content?: string
  previousContent?: string
  /** Globs naming the files the agent cannot lose (node:path matchesGlob syntax, dotfiles included). */
  coreFiles: readonly string[]
}

export interface RiskAssessment {
  risk: Risk
  reasons: string[]
  dynamicExecution: boolean
}

export function assessRisk (p: ModificationProposal): RiskAssessment {
  const high: string[] = []
  const file = normalizeFile(p.file)
  if (file.startsWith('/') || file === '..' || file.startsWith('../')) high.push(`the path ${p.file} leaves the project`)
  const core = p.coreFiles.find(g => matchesCoreGlob(file, g))
  if (core !== undefined) high.push(`${file} is a core file (matches ${core})`)
  if (p.operation === 'delete') high.push(`deleting ${file} removes code the agent may depend on`)

  const report = p.operation === 'delete' || p.content === undefined ? { findings: [] } : findDynamicExecutionIn(file, p.content)
  const findings = report.findings
  const before = p.previousContent === undefined || findings.length === 0 ? [] : findDynamicExecutionIn(file, p.previousContent).findings
  if (report.unparseable !== undefined) high.push(`unparseable code: ${file} does not parse as JavaScript/TypeScript (${report.unparseable}), so what it runs cannot be judged`)
  for (const f of findings) {
    const old = before.some(b => b.id === f.id) ? '; also in the previous version' : ''
    high.push(`dynamic execution: ${f.description} (line ${f.line}: ${f.match}${old})`)
  }
  const dynamicExecution = findings.length > 0
  if (high.length > 0) return { risk: 'high', reasons: high, dynamicExecution }

  const size = changeSize(p)
  if (typeof size === 'string') return { risk: 'medium', reasons: [size], dynamicExecution }
  if (size === undefined) {
    return { risk: 'medium', reasons: [`change larger than a small edit (more than ${LOW_RISK_MAX_CHANGED_LINES} changed lines)`], dynamicExecution }
  }
  const what = `${size.lines} changed line${size.lines === 1 ? '' : 's'}, ${size.bytes} bytes`
  if (size.lines <= LOW_RISK_MAX_CHANGED_LINES && size.bytes <= LOW_RISK_MAX_CHANGED_BYTES) {
    return { risk: 'low', reasons: [`small change to a non-core file (${what})`], dynamicExecution }
  }
  return {
    risk: 'medium',
    reasons: [`change larger than a small edit (${what}; small is at most ${LOW_RISK_MAX_CHANGED_LINES} lines and ${LOW_RISK_MAX_CHANGED_BYTES} bytes)`],
    dynamicExecution
  }
}

/** Lines and bytes changed; undefined past the low-risk line limit; a string if unmeasurable. */
function changeSize (p: ModificationProposal): { lines: number, bytes: number } | undefined | string {
  if (p.content === undefined) return 'the new content was not provided, so the change cannot be sized'
  if (p.operation === 'create') {
    return { lines: countLines(p.content), bytes: Buffer.byteLength(p.content) }
  }
  if (p.previousContent === undefined) return 'the previous content was not provided, so the change cannot be sized'
  // Bounded: past the limit the exact count no longer matters.
  const c = lineChanges(p.previousContent, p.content, LOW_RISK_MAX_CHANGED_LINES)
  return c === undefined ? undefined : { lines: c.inserted + c.deleted, bytes: c.bytes }
}

/** Newline-terminated lines plus a final unterminated one. */
function countLines (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n + (text !== '' && !text.endsWith('\n') ? 1 : 0)
}

function normalizeFile (file: string): string {
  const n = posix.normalize(file.replaceAll('\\', '/'))
  return n.startsWith('./') ? n.slice(2) : n
}

// node's matchesGlob skips dotfiles under `*` and `**` (minimatch's dot: false) and takes no
// options; a core `src/**` must still cover `src/.config/x`. Matching again with each leading dot
// hidden behind a character no glob spells gives dot: true semantics.
const DOT_STANDIN = '\u2063'

/** `file` matches `glob`, dotfiles included. */
export function matchesCoreGlob (file: string, glob: string): boolean {
  const f = normalizeFile(file)
  const g = normalizeFile(glob)
  return matchesGlob(f, g) || matchesGlob(f.replace(/(^|\/)\./g, `$1${DOT_STANDIN}`), g)
}
