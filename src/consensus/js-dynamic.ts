// Dynamic execution in JavaScript/TypeScript, found on the syntax tree (acorn) rather than the
// text: a name assembled at run time (`globalThis['ev'+'al']`, `process[k]`), the Function
// constructor handed around (`Reflect.construct(Function, …)`), computed module names. Strings
// and comments no longer raise false alarms; code that cannot be parsed is not judged at all
// (the caller treats it as high risk).

import { parse, type Node, type Options } from 'acorn'
import { stripTypeScriptTypes } from 'node:module'
import type { DynamicExecutionFinding } from './dynamic-execution.ts'

export type JsParse = { ok: true, findings: DynamicExecutionFinding[] } | { ok: false, error: string }

const GLOBAL_OBJECTS = new Set(['globalThis', 'window', 'self', 'global'])
/** Properties that reach code loading or evaluation when read off a global, process or module. */
const DANGEROUS_PROPS = new Set(['eval', 'Function', 'require', 'process', 'module', 'constructor', 'execScript', 'getBuiltinModule', 'binding', '_linkedBinding', 'dlopen', 'mainModule', 'execve', '_load', '_compile'])
const MODULES: Record<string, [string, string]> = {
  child_process: ['child-process', 'child_process starts other programs'],
  cluster: ['child-process', 'cluster forks other processes'],
  vm: ['vm', 'the vm module compiles and runs code'],
  worker_threads: ['worker', 'worker_threads can run code given as a string'],
  module: ['module-loader', 'the module module builds require functions and loads code'],
  inspector: ['vm', 'the inspector can evaluate code in this process'],
  wasi: ['webassembly', 'WASI runs WebAssembly programs']
}
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate'])
const VM_FUNCTIONS = new Set(['runInContext', 'runInNewContext', 'runInThisContext', 'Script', 'compileFunction', 'SourceTextModule'])
const WASM_FUNCTIONS = new Set(['instantiate', 'instantiateStreaming', 'compile', 'compileStreaming', 'Module'])
const MAX_MATCH = 60

const D = {
  eval: 'eval runs a string as code',
  fn: 'the Function constructor compiles a string into code',
  ctor: 'reading .constructor off a function reaches the Function constructor',
  require: 'require() of a name not fixed in the source loads code chosen at run time',
  createRequire: 'createRequire builds a require function for names chosen at run time',
  import: 'import() of a name not fixed in the source loads code chosen at run time',
  process: 'process reached by a computed name, handed around, or asked for built-in modules loads code at run time',
  global: 'the global object reached by a computed name or handed around can reach eval or Function',
  timer: 'a timer given a string evaluates it as code',
  wasm: 'WebAssembly compiles and runs binary code',
  script: 'a <script> element or javascript: URL runs injected code',
  computedCall: 'a call through a method name assembled at run time can reach eval or Function'
}

const PARSE_BASE: Options = { ecmaVersion: 'latest', locations: true, allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true, allowImportExportEverywhere: true }

export function isJsFile (file: string): boolean {
  return /\.(?:[cm]?[jt]s|[jt]sx)$/i.test(file)
}

/** Parses `content` (TypeScript types stripped for .ts/.mts/.cts) and lists its dynamic execution. */
export function findJsDynamicExecution (file: string, content: string): JsParse {
  let code = content
  if (/\.[cm]?ts$/i.test(file)) {
    const stripped = stripTypes(code)
    if (typeof stripped !== 'string') return { ok: false, error: stripped.error }
    code = stripped
  }
  let ast: Node
  try {
    ast = parse(code, { ...PARSE_BASE, sourceType: 'module' })
  } catch (moduleErr) {
    try {
      ast = parse(code, { ...PARSE_BASE, sourceType: 'script' })
    } catch {
      return { ok: false, error: (moduleErr as Error).message }
    }
  }
  return { ok: true, findings: new Scan(code).run(ast) }
}

function stripTypes (code: string): string | { error: string } {
  // strip keeps every position (types become spaces), so lines in reasons stay right
  try { return stripTypeScriptTypes(code, { mode: 'strip' }) } catch {}
  try { return stripTypeScriptTypes(code, { mode: 'transform' }) } catch (err) { return { error: (err as Error).message } }
}

type AnyNode = Node & Record<string, any>

class Scan {
  private readonly code: string
  private readonly out: DynamicExecutionFinding[] = []
  private readonly seen = new Set<string>()
  /** Names the file declares itself (a local `self` or `process` is not the global one). */
  private readonly declared = new Set<string>()
  /** `const NAME = <foldable string>`; undefined when a name is bound twice differently. */
  private readonly consts = new Map<string, string | undefined>()
  private readonly globals = new Set(GLOBAL_OBJECTS)

  constructor (code: string) { this.code = code }

  run (ast: Node): DynamicExecutionFinding[] {
    this.collect(ast as AnyNode, undefined, '')
    for (const g of GLOBAL_OBJECTS) if (this.declared.has(g)) this.globals.delete(g)
    this.visit(ast as AnyNode, undefined, '')
    return this.out
  }

  /** First pass: declarations and constant strings. */
  private collect (node: AnyNode, parent: AnyNode | undefined, key: string): void {
    if (node.type === 'Identifier' && parent !== undefined && isBinding(parent, key)) this.declared.add(node.name)
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && node.init != null) {
      const value = this.fold(node.init)
      const name = node.id.name as string
      if (value !== undefined && parent?.kind === 'const') this.consts.set(name, this.consts.has(name) && this.consts.get(name) !== value ? undefined : value)
      // an alias of the global object is the global object
      if (node.init.type === 'Identifier' && GLOBAL_OBJECTS.has(node.init.name)) this.globals.add(name)
    }
    forChildren(node, (child, k) => { this.collect(child, node, k) })
  }

  private visit (node: AnyNode, parent: AnyNode | undefined, key: string): void {
    switch (node.type) {
      case 'Identifier': this.identifier(node, parent, key); break
      case 'MemberExpression': this.member(node, parent, key); break
      case 'CallExpression': case 'NewExpression': this.call(node); break
      case 'ImportExpression': this.importExpr(node); break
      case 'ImportDeclaration': case 'ExportAllDeclaration': case 'ExportNamedDeclaration':
        if (node.source != null) this.moduleName(node.source.value, node)
        break
      case 'Property':
        if (!node.computed && propName(node.key) === 'eval') this.add('eval', D.eval, node)
        break
      case 'Literal':
        if (typeof node.value === 'string' && /^\s*(?:javascript:|data:(?:text|application)\/javascript)/i.test(node.value)) this.add('script-injection', D.script, node)
        break
    }
    forChildren(node, (child, k) => { this.visit(child, node, k) })
  }

  private identifier (node: AnyNode, parent: AnyNode | undefined, key: string): void {
    if (parent === undefined || !isReference(parent, key)) return
    const name = node.name as string
    if (name === 'eval') this.add('eval', D.eval, node)
    else if (name === 'Function' && !(parent.type === 'BinaryExpression' && parent.operator === 'instanceof' && key === 'right')) this.add('function-constructor', D.fn, node)
    else if (name === 'createRequire') this.add('computed-require', D.createRequire, node)
    else if (name === 'require') {
      const direct = parent.type === 'CallExpression' && key === 'callee'
      const resolve = parent.type === 'MemberExpression' && key === 'object' && !parent.computed && propName(parent.property) === 'resolve'
      if (!direct && !resolve && !this.declared.has('require')) this.add('computed-require', D.require, node)
    } else if (name === 'process' && !this.declared.has('process')) {
      if (!(parent.type === 'MemberExpression' && key === 'object') && !this.safeDestructure(parent, key)) this.add('process-dynamic', D.process, node)
    } else if (this.globals.has(name)) {
      const declaredAlias = !GLOBAL_OBJECTS.has(name)
      if (!(parent.type === 'MemberExpression' && key === 'object') && !(declaredAlias && parent.type === 'VariableDeclarator') && !this.safeDestructure(parent, key)) this.add('global-computed', D.global, node)
    }
  }

  /** `const { env, argv } = process`: fixed, harmless names only. */
  private safeDestructure (parent: AnyNode, key: string): boolean {
    if (parent.type !== 'VariableDeclarator' || key !== 'init' || parent.id.type !== 'ObjectPattern') return false
    return parent.id.properties.every((p: AnyNode) => p.type === 'Property' && !p.computed && !DANGEROUS_PROPS.has(propName(p.key) ?? ''))
  }

  private member (node: AnyNode, parent: AnyNode | undefined, key: string): void {
    const obj = node.object as AnyNode
    const prop = node.computed ? this.fold(node.property) : propName(node.property)
    const objName = obj.type === 'Identifier' ? obj.name as string : undefined
    const dynamicKey = node.computed && prop === undefined
    if (prop === 'eval') this.add('eval', D.eval, node)
    if (prop === 'Function') this.add('function-constructor', D.fn, node)
    if (prop === 'constructor' && !harmlessConstructorUse(node, parent, key)) this.add('function-constructor', D.ctor, node)
    if (objName === undefined) return
    if (this.globals.has(objName) && (dynamicKey || DANGEROUS_PROPS.has(prop ?? ''))) this.add('global-computed', D.global, node)
    if (objName === 'process' && !this.declared.has('process') && (dynamicKey || DANGEROUS_PROPS.has(prop ?? ''))) this.add('process-dynamic', D.process, node)
    if (objName === 'require' && (dynamicKey || prop === 'cache' || prop === 'main')) this.add('computed-require', D.require, node)
    if (objName === 'module' && !this.declared.has('module') && (dynamicKey || prop === 'require' || prop === 'constructor')) this.add('computed-require', D.require, node)
    if (objName === 'vm' && (dynamicKey || VM_FUNCTIONS.has(prop ?? ''))) this.add('vm', MODULES.vm[1], node)
    if (objName === 'WebAssembly' && (dynamicKey || WASM_FUNCTIONS.has(prop ?? ''))) this.add('webassembly', D.wasm, node)
  }

  private call (node: AnyNode): void {
    const callee = node.callee as AnyNode
    const args = node.arguments as AnyNode[]
    const name = callee.type === 'Identifier'
      ? callee.name
      : callee.type === 'MemberExpression' && !callee.computed ? propName(callee.property) : undefined
    if (callee.type === 'Identifier' && callee.name === 'require' && !this.declared.has('require')) {
      const target = args[0] === undefined ? undefined : this.fold(args[0])
      if (target === undefined || args.length !== 1) this.add('computed-require', D.require, node)
      else this.moduleName(target, node)
    }
    if (name !== undefined && TIMERS.has(name) && args[0] !== undefined && isStringish(args[0], this)) this.add('string-timer', D.timer, node)
    if (name === 'createElement' && args[0] !== undefined && this.fold(args[0])?.toLowerCase() === 'script') this.add('script-injection', D.script, node)
    if (name === 'getBuiltinModule' && args[0] !== undefined) {
      const target = this.fold(args[0])
      if (target !== undefined) this.moduleName(target, node)
    }
    // `x[assembled]()`: a method whose name is built at run time (JSFuck-style evasion)
    if (callee.type === 'MemberExpression' && callee.computed && this.fold(callee.property) === undefined && isAssembled(callee.property)) this.add('computed-call', D.computedCall, node)
  }

  private importExpr (node: AnyNode): void {
    const target = this.fold(node.source)
    if (target === undefined) this.add('computed-import', D.import, node)
    else this.moduleName(target, node)
  }

  private moduleName (name: unknown, node: AnyNode): void {
    if (typeof name !== 'string') return
    const bare = name.replace(/^node:/, '').split('/')[0]
    const hit = MODULES[bare]
    if (hit !== undefined) this.add(hit[0], hit[1], node)
  }

  /** The string an expression always evaluates to, when the source fixes it. */
  fold (node: AnyNode | null | undefined): string | undefined {
    if (node == null) return undefined
    switch (node.type) {
      case 'Literal': return typeof node.value === 'string' || typeof node.value === 'number' ? String(node.value) : undefined
      case 'TemplateLiteral': {
        let s = ''
        for (let i = 0; i < node.quasis.length; i++) {
          s += node.quasis[i].value.cooked ?? ''
          if (i < node.expressions.length) {
            const v = this.fold(node.expressions[i])
            if (v === undefined) return undefined
            s += v
          }
        }
        return s
      }
      case 'BinaryExpression': {
        if (node.operator !== '+') return undefined
        const l = this.fold(node.left)
        const r = l === undefined ? undefined : this.fold(node.right)
        return l === undefined || r === undefined ? undefined : l + r
      }
      case 'Identifier': return this.consts.get(node.name)
      default: return undefined
    }
  }

  private add (id: string, description: string, node: AnyNode): void {
    const line = node.loc?.start.line ?? 1
    const k = `${id}:${line}`
    if (this.seen.has(k)) return
    this.seen.add(k)
    const text = this.code.slice(node.start, node.end).replace(/\s+/g, ' ').trim()
    this.out.push({ id, description, line, match: text.length > MAX_MATCH ? `${text.slice(0, MAX_MATCH)}…` : text })
  }
}

function forChildren (node: AnyNode, fn: (child: AnyNode, key: string) => void): void {
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue
    const v = node[key]
    if (Array.isArray(v)) { for (const c of v) if (c !== null && typeof c === 'object' && typeof c.type === 'string') fn(c, key) } else if (v !== null && typeof v === 'object' && typeof v.type === 'string') fn(v, key)
  }
}

function propName (node: AnyNode): string | undefined {
  if (node.type === 'Identifier' || node.type === 'PrivateIdentifier') return node.name
  if (node.type === 'Literal') return String(node.value)
  return undefined
}

/** Where an Identifier names a value read at run time (not a property name, label or binding). */
function isReference (parent: AnyNode, key: string): boolean {
  switch (parent.type) {
    case 'MemberExpression': return key === 'object' || parent.computed === true
    case 'Property': case 'PropertyDefinition': case 'MethodDefinition': return key === 'value' || parent.computed === true
    case 'LabeledStatement': case 'BreakStatement': case 'ContinueStatement': return false
    case 'ImportSpecifier': case 'ImportDefaultSpecifier': case 'ImportNamespaceSpecifier': case 'ExportSpecifier': return false
    case 'MetaProperty': return false
    default: return !isBinding(parent, key)
  }
}

/** Where an Identifier is declared. */
function isBinding (parent: AnyNode, key: string): boolean {
  switch (parent.type) {
    case 'VariableDeclarator': return key === 'id'
    case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression': return key === 'id' || key === 'params'
    case 'ClassDeclaration': case 'ClassExpression': return key === 'id'
    case 'CatchClause': return key === 'param'
    case 'ImportSpecifier': case 'ImportDefaultSpecifier': case 'ImportNamespaceSpecifier': return key === 'local'
    case 'AssignmentPattern': return key === 'left'
    case 'RestElement': return key === 'argument'
    case 'ArrayPattern': return key === 'elements'
    default: return false
  }
}

/** `x.constructor.name`, `a.constructor === B`, `C.prototype.constructor = C`: no function reached. */
function harmlessConstructorUse (node: AnyNode, parent: AnyNode | undefined, key: string): boolean {
  if (parent === undefined) return false
  if (parent.type === 'MemberExpression' && key === 'object') {
    const next = parent.computed ? undefined : propName(parent.property)
    return next !== undefined && next !== 'constructor' && next !== 'call' && next !== 'apply' && next !== 'bind'
  }
  if (parent.type === 'BinaryExpression') return true
  if (parent.type === 'AssignmentExpression' && key === 'left') return true
  return false
}

function isStringish (node: AnyNode, scan: Scan): boolean {
  if (scan.fold(node) !== undefined) return true
  return node.type === 'TemplateLiteral' || (node.type === 'BinaryExpression' && node.operator === '+')
}

/** A key built from pieces: concatenation, a template with holes, or a call such as fromCharCode/join/atob. */
function isAssembled (node: AnyNode): boolean {
  return (node.type === 'BinaryExpression' && node.operator === '+') || (node.type === 'TemplateLiteral' && node.expressions.length > 0) || node.type === 'CallExpression' || node.type === 'SequenceExpression' || node.type === 'ConditionalExpression' || node.type === 'LogicalExpression'
}
