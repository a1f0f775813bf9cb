// docs/control.md, generated from the methods' table: the parameters as their schemas say them
// (JSON Schema from zod, then one short phrase per field). scripts/control-doc.ts writes it; a
// unit test fails when the file and the table disagree.

import { z } from 'zod'
import { METHODS, type MethodSpec } from './table.ts'

interface Json { type?: string | string[], enum?: unknown[], pattern?: string, minLength?: number, maxLength?: number, minimum?: number, maximum?: number, exclusiveMinimum?: number, minItems?: number, maxItems?: number, items?: Json, properties?: Record<string, Json>, required?: string[] }

const QUESTION_PATTERN = /^\^question:/

/** One field's type in a few words. */
export function describeField (s: Json): string {
  if (s.enum !== undefined) return s.enum.map(String).join(' \\| ')
  const type = Array.isArray(s.type) ? s.type.join(' \\| ') : s.type
  switch (type) {
    case 'string':
      if (s.pattern !== undefined && QUESTION_PATTERN.test(s.pattern)) return 'question id'
      if (s.maxLength !== undefined) return `string (${s.minLength ?? 0}–${s.maxLength} chars)`
      return s.minLength === 1 ? 'text' : 'string'
    case 'integer':
    case 'number': {
      const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : ''
      const hi = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${s.maximum}` : ''
      const range = [lo, hi].filter((x) => x !== '').join(', ')
      return range === '' ? type : `${type} ${range}`
    }
    case 'array': {
      if (s.items?.type === 'object' && s.items.properties !== undefined) {
        const keys = Object.keys(s.items.properties).map((k) => s.items?.required?.includes(k) === true ? k : `${k}?`)
        return `{${keys.join(', ')}}[]${s.maxItems !== undefined ? ` (≤ ${s.maxItems})` : ''}`
      }
      const item = s.items === undefined ? 'any' : describeField(s.items)
      return `${item.includes(' ') ? `(${item})` : item}[]${s.minItems !== undefined ? ` (≥ ${s.minItems})` : ''}`
    }
    case 'object': return 'object'
    case undefined: return 'any'
    default: return type
  }
}

/** A method's parameters as `name: type` items (`?` marks optional); `—` when it takes none. */
export function describeParams (spec: MethodSpec): string {
  const json = z.toJSONSchema(spec.params, { io: 'input', unrepresentable: 'any' }) as Json
  const props = Object.entries(json.properties ?? {})
  if (props.length === 0) return '—'
  return props.map(([name, s]) => `\`${name}${json.required?.includes(name) === true ? '' : '?'}\`: ${describeField(s)}`).join('<br>')
}

function table (rows: Array<[string, MethodSpec]>): string[] {
  const out = ['| method | parameters | what it does |', '|---|---|---|']
  for (const [name, spec] of rows) out.push(`| \`${name}\`${spec.streaming === true ? ' (stream)' : ''} | ${describeParams(spec)} | ${spec.summary} |`)
  return out
}

/** The whole of docs/control.md. */
export function renderControlDoc (): string {
  const rows = Object.entries(METHODS) as Array<[string, MethodSpec]>
  const parts = [...new Set(rows.map(([, s]) => s.part))]
  const lines = [
    '# Control methods',
    '',
    '<!-- Generated from src/control/methods/table.ts by `node scripts/control-doc.ts`; do not edit by hand. -->',
    '',
    'The daemon answers JSON-RPC 2.0 on its control socket (`<home>/swarm.sock`, one request per line).',
    'Every method\'s parameters are declared once, as a zod schema in `src/control/methods/table.ts`:',
    'the daemon parses with it before the handler runs, and the CLI (`ControlClient`) checks the same',
    'schema before sending, so a bad parameter is the same `usage` error (exit code 2) on either side,',
    'naming the method and the field (`ask: scope: Invalid option: …`). A `null` parameter counts as',
    'absent; parameters a method does not name are ignored. Methods marked (stream) send',
    '`{"method":"stream","params":{"id","event"}}` notifications before their result.',
    ''
  ]
  for (const part of parts) {
    lines.push(`## ${part}`, '', ...table(rows.filter(([, s]) => s.part === part && s.hidden !== true)), '')
  }
  const hidden = rows.filter(([, s]) => s.hidden === true)
  if (hidden.length > 0) {
    lines.push('## Benchmark and test hooks', '', 'Registered only with `SWARM_BENCH=1` (bench.*) or `SWARM_TEST_HOOKS=1` (debug.*).', '', ...table(hidden), '')
  }
  return lines.join('\n')
}
