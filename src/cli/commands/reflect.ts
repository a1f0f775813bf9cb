// `swarm reflect …`: what this node learned (add), telling the federation (share, unshare), and
// finding it again (search, list, show). A reflection is `local` (this node only) until shared;
// reflections shared by peers appear with source `swarm`, visibility `shared` and the tag
// `shared_from_<node id>`.

import type { Command } from 'commander'
import { collect, createContext, numberIn, oneOf, type CliIO } from '../context.ts'

interface AddOptions {
  description: string
  outcome: string
  category?: string
  tag?: string[]
  recommendation?: string[]
  question?: string
  share?: boolean
}

interface FilterOptions {
  tag?: string[]
  category?: string
  outcome?: string
  source?: string
  limit?: number
}

const OUTCOMES = 'success or failure (also: successful, failed)'
/** The outcomes the store accepts (it normalizes them); anything else is a usage error here. */
const outcome = (value: string): string => {
  oneOf('--outcome', ['success', 'failure', 'successful', 'failed'])(value.trim().toLowerCase())
  return value
}

const short = (s: string, n: number): string => {
  const one = s.replace(/\s+/g, ' ')
  return one.length <= n ? one : `${one.slice(0, n - 1)}…`
}

function line (r: any): string {
  const score = typeof r.score === 'number' ? `${r.score.toFixed(3)}  ` : ''
  const tags = (r.tags as string[]).length > 0 ? `  [${(r.tags as string[]).join(', ')}]` : ''
  return `${score}${r.id as string}  ${r.outcome as string}  ${r.source as string}  ${(r.visibility as string).padEnd(6)}  ${short(r.description as string, 80)}${tags}`
}

function scopeText (scope: any): string {
  if (scope === undefined || scope === null) return ''
  const who = Array.isArray(scope.recipients) ? `; only to the recipients of ${scope.question as string}` : ''
  return ` (scope ${scope.federation as string}${who})`
}

export default function register (program: Command, io: CliIO): void {
  const reflect = program.command('reflect').description('record what worked (or did not), share successes, search what this node knows')

  reflect.command('add')
    .description('store a reflection, local to this node (answers once it is on disk); --share also shares it with the federation')
    .requiredOption('--description <text>', 'what was done and what came of it')
    .requiredOption('--outcome <outcome>', OUTCOMES, outcome)
    .option('--category <name>', 'a category (default: general)')
    .option('--tag <tag>', 'a tag (repeatable)', collect)
    .option('--recommendation <text>', 'advice for next time (repeatable)', collect)
    .option('--question <id>', 'the question it was learned from (one from a private question is only ever served to that question\'s recipients)')
    .option('--share', 'share it with the federation (successes only: a failure is stored, then refused)')
    .addHelpText('after', `
Examples:
  swarm reflect add --description 'Rotated the trust root with a 24 h overlap' --outcome success --tag trust-root --share
  swarm reflect add --description 'Compaction during peak load stalled writes' --outcome failed --category storage --json`)
    .action(async (opts: AddOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const params = {
        description: opts.description,
        outcome: opts.outcome,
        category: opts.category,
        tags: opts.tag,
        recommendations: opts.recommendation,
        question: opts.question,
        share: opts.share === true
      }
      const res = await ctx.withClient(async (c) => await c.call('reflect.add', params))
      ctx.out.result(res, (r) => `added ${r.id as string} (${r.outcome as string}, ${r.visibility as string})${r.shared === true ? `; shared with ${(r.recipients as number) + (r.direct as number)} peer(s)` : '; share it with: swarm reflect share ' + (r.id as string)}`)
    })

  reflect.command('share')
    .description('share a stored successful reflection with the federation: peers may then be served it (a failure is refused, exit 1)')
    .argument('<id>', 'reflection:<ULID>')
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('reflect.share', { id }))
      ctx.out.result(res, (r) => `shared ${r.id as string}: gossip to ${r.recipients as number} peer(s), direct to ${r.direct as number}`)
    })

  reflect.command('unshare')
    .description('stop serving a reflection to peers and remote questions (copies peers already hold stay theirs)')
    .argument('<id>', 'reflection:<ULID>')
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('reflect.unshare', { id }))
      ctx.out.result(res, (r) => `${r.id as string} is local again: no longer served to peers (copies they already hold stay theirs)`)
    })

  reflect.command('show')
    .description('one reflection, with its signed envelope')
    .argument('<id>', 'reflection:<ULID>')
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      ctx.out.result(await ctx.withClient(async (c) => await c.call('reflect.get', { id })), (r) => [
        `${r.id as string}  ${r.outcome as string}  ${r.category as string}  (${r.source as string}, ${r.visibility as string}, ${r.createdAt as string})`,
        `  ${r.description as string}`,
        ...(r.recommendations as string[]).map((x) => `  - ${x}`),
        `  tags: ${(r.tags as string[]).join(', ') || 'none'}`,
        `  author ${r.author as string}${(r.provenance as string[]).length > 0 ? `; ${(r.provenance as string[]).join(', ')}` : ''}`,
        `  visibility ${r.visibility as string}${scopeText(r.scope)}`
      ].join('\n'))
    })

  reflect.command('search')
    .description('ranked search (BM25) over descriptions, recommendations, tags and category')
    .argument('<query...>', 'words to look for')
    .option('--tag <tag>', 'only reflections with this tag (repeatable: all of them)', collect)
    .option('--category <name>', 'only this category')
    .option('--outcome <outcome>', `only this outcome: ${OUTCOMES}`, outcome)
    .option('--source <source>', 'only local or swarm', oneOf('--source', ['local', 'swarm']))
    .option('--limit <n>', 'how many (default 10)', numberIn('--limit', 1, 200, true))
    .action(async (words: string[], opts: FilterOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const params = { query: words.join(' '), tags: opts.tag, category: opts.category, outcome: opts.outcome, source: opts.source, limit: opts.limit }
      const res = await ctx.withClient(async (c) => await c.call('reflect.search', params))
      ctx.out.result(res, (l: any[]) => l.length === 0 ? 'nothing found' : l.map(line).join('\n'))
    })

  reflect.command('list')
    .description('stored reflections, newest first')
    .option('--source <source>', 'only local or swarm', oneOf('--source', ['local', 'swarm']))
    .option('--tag <tag>', 'only reflections with this tag')
    .option('--category <name>', 'only this category')
    .option('--outcome <outcome>', `only this outcome: ${OUTCOMES}`, outcome)
    .option('--limit <n>', 'how many (default 50)', numberIn('--limit', 1, 1000, true))
    .option('--after <id>', 'the page after this id (the last id of the previous page)')
    .action(async (opts: Omit<FilterOptions, 'tag'> & { tag?: string, after?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const params = { source: opts.source, tag: opts.tag, category: opts.category, outcome: opts.outcome, limit: opts.limit, after: opts.after }
      const res = await ctx.withClient(async (c) => await c.call('reflect.list', params))
      ctx.out.result(res, (l: any[]) => l.length === 0 ? 'no reflections' : l.map(line).join('\n'))
    })
}
