import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { assessRisk } from '../../../src/consensus/risk.ts'
import { findDynamicExecutionIn } from '../../../src/consensus/dynamic-execution.ts'

const ids = (file: string, code: string): string[] => findDynamicExecutionIn(file, code).findings.map((f) => f.id)

describe('dynamic execution on the syntax tree', () => {
  it.each([
    ['computed eval off globalThis', "globalThis['ev' + 'al']('1 + 1')"],
    ['eval through a const', "const k = 'ev' + 'al'\nglobalThis[k]('1')"],
    ['eval off window by char codes', 'window[String.fromCharCode(101, 118, 97, 108)]("x")'],
    ['an alias of the global object', 'const g = globalThis\ng[name]()'],
    ['the global object destructured', 'const { eval: e } = globalThis\ne("x")'],
    ['Reflect.construct(Function, …)', "Reflect.construct(Function, ['return process'])()"],
    ['Reflect.get on the global object', "Reflect.get(globalThis, 'ev' + 'al')('x')"],
    ['the Function constructor off a function', "(() => {}).constructor('return this')()"],
    ['constructor by computed name', "[]['const' + 'ructor']['const' + 'ructor']('return 1')()"],
    ['async function constructor', 'const AF = Object.getPrototypeOf(async function () {}).constructor\nnew AF("x")'],
    ['process.getBuiltinModule with a computed name', "process.getBuiltinModule('child_' + 'process').execSync('id')"],
    ['process by a computed name', "process['getBuiltin' + 'Module']('fs')"],
    ['process handed to a function', 'leak(process)'],
    ['require aliased', 'const r = require\nr(name)'],
    ['require of a computed name', "require('child_' + 'process')"],
    ['require of a variable', 'require(mod)'],
    ['module.require', 'module.require(x)'],
    ['createRequire', "import { createRequire } from 'node:module'\nconst r = createRequire(import.meta.url)"],
    ['computed import()', 'await import(`./plugins/${name}.js`)'],
    ['import() that folds to child_process', "await import('node:child_' + 'process')"],
    ['string timer by template', 'setTimeout(`run(${x})`, 10)'],
    ['a method name assembled at run time', "obj[parts.join('')](payload)"],
    ['worker with eval: true', 'new Worker(code, { eval: true })'],
    ['javascript: URL', "a.href = 'javascript:alert(1)'"],
    ['vm by import', "import { runInNewContext } from 'node:vm'"],
    ['TypeScript with an evasive eval', "const g: any = globalThis\nexport const run = (s: string): unknown => g['ev' + 'al'](s)"]
  ])('%s is dynamic', (_name, code) => {
    const file = code.includes(': any') ? 'x.ts' : 'x.js'
    expect(ids(file, code).length, code).toBeGreaterThan(0)
    expect(assessRisk({ file, operation: 'create', content: code, coreFiles: [] })).toMatchObject({ risk: 'high', dynamicExecution: true })
  })

  it.each([
    ['eval in a comment or a string', "// never eval( here\nconst s = 'eval(x) and new Function()'"],
    ['ordinary TypeScript', "import { join } from 'node:path'\nexport function greet (name: string): string {\n  return `hello ${name} from ${join('a', 'b')}`\n}\n"],
    ['process.env and argv', 'const { env, argv } = process\nconsole.log(process.env.HOME, argv.length)'],
    ['this.constructor.name', 'class A { who () { return this.constructor.name } }'],
    ['instanceof Function', 'const f = x instanceof Function'],
    ['a local named process', 'function process (items) { return items.length }\nprocess([1, 2])'],
    ['a local self', 'const self = this\nself.count = 1'],
    ['fixed require and require.resolve', "const p = require('./x.js')\nconst q = require.resolve('y')"],
    ['static import()', "const m = await import('./mod.js')"],
    ['timers with functions', 'setTimeout(() => tick(), 10)\nsetInterval(tick, 100)'],
    ['dispatch through a variable key', 'handlers[msg.type](msg)'],
    ['globalThis.fetch', "await globalThis.fetch('https://example.org')"]
  ])('%s is not dynamic', (_name, code) => {
    const file = code.includes(': string') ? 'x.ts' : 'x.js'
    expect(findDynamicExecutionIn(file, code)).toEqual({ findings: [] })
  })

  it('unparseable JavaScript is high risk, with the reason', () => {
    const r = assessRisk({ file: 'src/tools/x.js', operation: 'create', content: 'function (', coreFiles: [] })
    expect(r.risk).toBe('high')
    expect(r.reasons.join(' ')).toMatch(/unparseable code/)
  })

  it('non-JavaScript files keep the text patterns', () => {
    expect(ids('tool.py', 'import subprocess')).toContain('python-dynamic')
    expect(ids('notes.md', 'a note')).toEqual([])
  })

  it('property: a dangerous name split anywhere and read off a global or process by computed key is found', () => {
    const names = fc.constantFrom('eval', 'Function', 'require', 'constructor', 'getBuiltinModule')
    const bases = fc.constantFrom('globalThis', 'window', 'self', 'global', 'process')
    fc.assert(fc.property(names, bases, fc.array(fc.nat(), { maxLength: 4 }), (name, base, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (name.length + 1)))].sort((a, b) => a - b)
      const pieces: string[] = []
      let from = 0
      for (const p of [...points, name.length]) { pieces.push(name.slice(from, p)); from = p }
      const key = pieces.map((p) => JSON.stringify(p)).join(' + ')
      expect(ids('x.js', `${base}[${key}]('x')`).length).toBeGreaterThan(0)
      expect(ids('x.js', `const k = ${key}\n${base}[k]('x')`).length).toBeGreaterThan(0)
    }))
  })

  it('property: code built only from plain functions, arithmetic and strings is low risk', () => {
    const ident = fc.constantFrom('a', 'b', 'total', 'name', 'items', 'value')
    const expr = fc.oneof(fc.integer().map(String), fc.string().map((s) => JSON.stringify(s)), ident)
    const stmt = fc.tuple(ident, expr, expr).map(([v, x, y]) => `const ${v}_ = ${x} + ${y}`)
    fc.assert(fc.property(fc.array(stmt, { maxLength: 8 }), (lines) => {
      const code = lines.map((l, i) => l.replace('_ =', `${i} =`)).join('\n') + '\n'
      expect(findDynamicExecutionIn('x.js', code)).toEqual({ findings: [] })
    }))
  })

  it('property: never throws, whatever the input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('x.js', 'x.ts', 'x.tsx', 'x.py'), (code, file) => {
      const r = assessRisk({ file, operation: 'create', content: code, coreFiles: [] })
      expect(['low', 'medium', 'high']).toContain(r.risk)
    }))
  })
})
