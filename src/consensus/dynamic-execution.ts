// Patterns that mark code able to run code it was not reviewed as: strings turned into code,
// other programs started, modules chosen at run time. JavaScript and TypeScript files are judged
// on their syntax tree (js-dynamic.ts), where names assembled at run time cannot hide; every
// other file (Python, shell, notes) on its raw text, comments included: a false alarm costs a
// vote, a miss could let a change rewrite the agent unreviewed.

import { findJsDynamicExecution, isJsFile } from './js-dynamic.ts'

export interface DynamicExecutionPattern {
  id: string
  /** What the construct does, in plain words (becomes the risk reason). */
  description: string
  pattern: RegExp
}

export const DYNAMIC_EXECUTION_PATTERNS: readonly DynamicExecutionPattern[] = [
  { id: 'eval', description: 'eval() runs a string as code', pattern: /\beval\s*\(|\(\s*0\s*,\s*eval\s*\)/ },
  { id: 'function-constructor', description: 'the Function constructor compiles a string into code', pattern: /\bnew\s+Function\s*\(|(?<![\w$.])Function\s*\(|\.constructor\s*\(\s*['"`]/ },
  { id: 'string-timer', description: 'a timer given a string evaluates it as code', pattern: /\b(?:setTimeout|setInterval|setImmediate)\s*\(\s*['"`]/ },
  { id: 'child-process', description: 'child_process starts other programs', pattern: /\bchild_process\b/ },
  // `.exec(` alone is RegExp.prototype.exec; a bare exec( (or Python's exec) is not.
  { id: 'process-spawn', description: 'exec/spawn/fork start other programs or run code', pattern: /(?<![\w$.])(?:exec|execSync|execFile|execFileSync|spawn|spawnSync|fork)\s*\(|\.(?:execSync|execFile|execFileSync|spawn|spawnSync|fork)\s*\(/ },
  { id: 'vm', description: 'the vm module compiles and runs code', pattern: /\bvm\s*\.\s*(?:runInContext|runInNewContext|runInThisContext|Script|compileFunction|SourceTextModule|createContext)\b|(?<![\w$.])(?:runInContext|runInNewContext|runInThisContext|compileFunction)\s*\(|['"](?:node:)?vm['"]/ },
  { id: 'computed-import', description: 'import() of a computed name loads code chosen at run time', pattern: /(?<![\w$.])import\s*\(\s*(?!(['"])[^'"\n]*\1\s*[,)])(?!`[^`$\n]*`\s*[,)])/ },
  { id: 'computed-require', description: 'require() of a computed name loads code chosen at run time', pattern: /(?<![\w$.])require\s*\(\s*(?!(['"])[^'"\n]*\1\s*\))(?!`[^`$\n]*`\s*\))/ },
  { id: 'script-injection', description: 'a <script> element or javascript: data URL runs injected code', pattern: /createElement\s*\(\s*['"]script['"]|['"`]data:(?:text|application)\/javascript/i },
  { id: 'webassembly', description: 'WebAssembly compiles and runs binary code', pattern: /\bWebAssembly\s*\.\s*(?:instantiate|instantiateStreaming|compile|compileStreaming|Module)\b/ },
  { id: 'python-dynamic', description: 'Python __import__/importlib/subprocess/os.system run or load code at run time', pattern: /(?<![\w.])__import__\s*\(|\bimportlib\s*\.\s*import_module\s*\(|\bsubprocess\b|\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(/ }
]

export interface DynamicExecutionFinding {
  id: string
  description: string
  /** 1-based line of the first match. */
  line: number
  /** The matched text, for the reason shown to voters. */
  match: string
}

/** Every pattern found in `content`, once each, in the table's order. */
export function findDynamicExecution (content: string): DynamicExecutionFinding[] {
  const out: DynamicExecutionFinding[] = []
  for (const { id, description, pattern } of DYNAMIC_EXECUTION_PATTERNS) {
    const m = pattern.exec(content)
    if (m === null) continue
    out.push({ id, description, line: countLines(content, m.index), match: m[0].trim() })
  }
  return out
}

function countLines (text: string, index: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++
  return line
}

export interface DynamicExecutionReport {
  findings: DynamicExecutionFinding[]
  /** Set when a JavaScript/TypeScript file does not parse: its behaviour cannot be judged. */
  unparseable?: string
}

/** Dynamic execution in `content` as the file `file`: parsed for JS/TS, text patterns otherwise. */
export function findDynamicExecutionIn (file: string, content: string): DynamicExecutionReport {
  if (!isJsFile(file)) return { findings: findDynamicExecution(content) }
  const r = findJsDynamicExecution(file, content)
  return r.ok ? { findings: r.findings } : { findings: [], unparseable: r.error }
}
