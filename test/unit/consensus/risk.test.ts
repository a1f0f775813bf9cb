import { describe, it, expect } from 'vitest'
import { assessRisk, matchesCoreGlob, type ModificationProposal } from '../../../src/consensus/risk.ts'
import { findDynamicExecution } from '../../../src/consensus/dynamic-execution.ts'

const CORE = ['src/core/**', '**/boot.js', 'package.json']
const lines = (n: number, prefix = 'line'): string => Array.from({ length: n }, (_, i) => `${prefix} ${i}`).join('\n')
const base = lines(200)
const edit = (text: string, at: number[], word = 'changed'): string => text.split('\n').map((l, i) => at.includes(i) ? `${l} ${word}` : l).join('\n')

type Row = [string, Omit<ModificationProposal, 'coreFiles'>, 'low' | 'medium' | 'high', boolean, RegExp[]]

const rows: Row[] = [
  ['small modify of a plain file', { file: 'src/tools/util.md', operation: 'modify', previousContent: base, content: edit(base, [3, 150]) }, 'low', false, [/small change to a non-core file \(4 changed lines/]],
  ['small create', { file: 'src/tools/new.js', operation: 'create', content: 'export const x = 1\n' }, 'low', false, [/small change to a non-core file \(1 changed line, 19 bytes\)/]],
  ['empty create', { file: 'notes/empty.md', operation: 'create', content: '' }, 'low', false, [/0 changed lines/]],
  ['exactly 20 changed lines', { file: 'a.txt', operation: 'modify', previousContent: base, content: edit(base, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) }, 'low', false, [/20 changed lines/]],
  ['21 changed lines', { file: 'a.txt', operation: 'modify', previousContent: base, content: base + '\n' + lines(21, 'new') }, 'medium', false, [/more than 20 changed lines/]],
  ['many changed lines', { file: 'a.txt', operation: 'modify', previousContent: base, content: lines(200, 'other') }, 'medium', false, [/larger than a small edit/]],
  ['few lines but over 2 KB', { file: 'a.txt', operation: 'modify', previousContent: 'a', content: 'a\n' + 'x'.repeat(3000) }, 'medium', false, [/3001 bytes/]],
  ['large create', { file: 'a.txt', operation: 'create', content: lines(50) }, 'medium', false, [/50 changed lines/]],
  ['modify without previous content', { file: 'a.txt', operation: 'modify', content: 'x' }, 'medium', false, [/previous content was not provided/]],
  ['modify without content', { file: 'a.txt', operation: 'modify' }, 'medium', false, [/new content was not provided/]],
  ['core file by directory glob', { file: 'src/core/agent.js', operation: 'modify', previousContent: 'a', content: 'b' }, 'high', false, [/core file \(matches src\/core\/\*\*\)/]],
  ['core dotfile under a ** glob', { file: 'src/core/.config.js', operation: 'modify', previousContent: 'a', content: 'b' }, 'high', false, [/core file/]],
  ['core file by basename glob, ./ and .. normalised', { file: './lib/../lib/boot.js', operation: 'create', content: 'x' }, 'high', false, [/lib\/boot.js is a core file/]],
  ['delete', { file: 'src/tools/old.js', operation: 'delete' }, 'high', false, [/deleting src\/tools\/old.js/]],
  ['delete of a core file: both reasons', { file: 'package.json', operation: 'delete' }, 'high', false, [/core file/, /deleting/]],
  ['path outside the project', { file: '../other/x.js', operation: 'create', content: 'x' }, 'high', false, [/leaves the project/]],
  ['absolute path', { file: '/etc/profile', operation: 'create', content: 'x' }, 'high', false, [/leaves the project/]],
  ['eval', { file: 'a.js', operation: 'create', content: 'const f = eval(src)' }, 'high', true, [/eval runs a string/]],
  ['indirect eval', { file: 'a.js', operation: 'create', content: 'const r = (0, eval)(src)' }, 'high', true, [/eval/]],
  ['new Function', { file: 'a.js', operation: 'create', content: 'const f = new Function("a", body)' }, 'high', true, [/Function constructor/]],
  ['child_process require', { file: 'a.js', operation: 'create', content: "const cp = require('child_process')" }, 'high', true, [/child_process/]],
  ['child_process import', { file: 'a.ts', operation: 'create', content: "import { spawn } from 'node:child_process'\nspawn('ls')" }, 'high', true, [/line 1: import \{ spawn \} from 'node:child_process'/]],
  ['vm.runInNewContext', { file: 'a.js', operation: 'create', content: 'vm.runInNewContext(code, sandbox)' }, 'high', true, [/vm module/]],
  ['new vm.Script', { file: 'a.js', operation: 'create', content: 'new vm.Script(code)' }, 'high', true, [/vm module/]],
  ['computed import()', { file: 'a.js', operation: 'create', content: 'await import(`./plugins/${name}.js`)' }, 'high', true, [/import\(\) of a name not fixed/]],
  ['computed import() from a variable', { file: 'a.js', operation: 'create', content: 'await import(moduleName)' }, 'high', true, [/not fixed in the source/]],
  ['setTimeout with a string', { file: 'a.js', operation: 'create', content: 'setTimeout("doIt()", 10)' }, 'high', true, [/timer given a string/]],
  ['bare exec(', { file: 'a.py', operation: 'create', content: 'exec(payload)' }, 'high', true, [/exec\/spawn\/fork/]],
  ['python subprocess', { file: 'a.py', operation: 'create', content: 'import subprocess\nsubprocess.run(["ls"])' }, 'high', true, [/Python/]],
  ['dynamic execution already present is still reported, and said so', { file: 'a.js', operation: 'modify', previousContent: 'eval(x)\n', content: 'eval(x)\nconst y = 1\n' }, 'high', true, [/also in the previous version/]],
  ['RegExp.prototype.exec is not process execution', { file: 'a.js', operation: 'create', content: 'const m = /a(b)/.exec(s)' }, 'low', false, []],
  ['static import() and require() are fine', { file: 'a.js', operation: 'create', content: "await import('./x.js')\nconst y = require(\"y\")\nawait import(`./z.js`)" }, 'low', false, []],
  ['a word containing eval is fine', { file: 'a.js', operation: 'create', content: 'const medieval = 1; retrieval(x)' }, 'low', false, []],
  ['setTimeout with a function is fine', { file: 'a.js', operation: 'create', content: 'setTimeout(() => run(), 10)' }, 'low', false, []]
]

describe('assessRisk', () => {
  it.each(rows)('%s', (_name, proposal, risk, dynamic, reasons) => {
    const r = assessRisk({ ...proposal, coreFiles: CORE })
    expect(r.risk).toBe(risk)
    expect(r.dynamicExecution).toBe(dynamic)
    expect(r.reasons.length).toBeGreaterThan(0)
    for (const re of reasons) expect(r.reasons.some(x => re.test(x)), `${r.reasons.join(' | ')} ~ ${String(re)}`).toBe(true)
  })

  it('lists every dynamic-execution pattern found as its own reason', () => {
    const r = assessRisk({ file: 'a.js', operation: 'create', content: 'eval(a)\nnew Function(b)\nsetInterval("c", 1)', coreFiles: [] })
    expect(r.reasons).toHaveLength(3)
  })

  it('ignores the content of a delete', () => {
    expect(assessRisk({ file: 'a.js', operation: 'delete', content: 'eval(x)', coreFiles: [] }).dynamicExecution).toBe(false)
  })
})

describe('matchesCoreGlob', () => {
  it.each([
    ['src/core/a.ts', 'src/core/**', true],
    ['src/core/.hidden/a.ts', 'src/core/**', true],
    ['.env', '*', true],
    ['.env', '.env', true],
    ['src/corex/a.ts', 'src/core/**', false],
    ['lib/boot.js', '**/boot.js', true],
    ['boot.js', '**/boot.js', true],
    ['src\\core\\a.ts', 'src/core/**', true],
    ['src/a.ts', 'src/{a,b}.ts', true],
    ['src/c.ts', 'src/{a,b}.ts', false]
  ])('%s ~ %s → %s', (file, glob, expected) => {
    expect(matchesCoreGlob(file, glob)).toBe(expected)
  })
})

describe('findDynamicExecution', () => {
  it('reports the line and the matched text', () => {
    expect(findDynamicExecution('ok\nok\n  eval (x)')).toEqual([{ id: 'eval', description: 'eval() runs a string as code', line: 3, match: 'eval (' }])
  })

  it.each([
    'document.createElement("script")',
    'const u = "data:text/javascript,alert(1)"',
    'await WebAssembly.instantiate(bytes)',
    "const m = __import__('os')",
    'os.system("rm -rf /")',
    "importlib.import_module(name)",
    'child.fork(\'./w.js\')',
    "x.constructor.constructor('return this')()",
    "const { runInNewContext } = vm; runInNewContext(code)",
    "import vm from 'node:vm'"
  ])('flags %s', (code) => {
    expect(findDynamicExecution(code).length).toBeGreaterThan(0)
  })
})
