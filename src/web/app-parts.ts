// The page's pieces of HTML: a channel's envelopes, its summary (each source a link to the
// contribution it cites), attachments (name, id, size, type, a download button) and the asker's
// close form. Pure string builders; app.ts mounts them and wires the events.

import type { ChannelItem, QuestionView } from './bus-client.ts'
import type { Attachment, ContributionEnvelope, SummaryEnvelope } from '../envelope/schemas.ts'

export const KINDS = ['partial-answer', 'fact', 'hypothesis', 'recommendation', 'clarification-request', 'clarification', 'objection']

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
export const short = (id: string, n = 10): string => id.length > n + 8 ? `${id.slice(0, n)}…${id.slice(-6)}` : id
export const who = (nodeId: string, me: string): string => nodeId === me ? 'you' : short(nodeId.replace(/^node:did:key:/, ''), 8)
export const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

export function bytes (n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** Attachments an envelope names, each downloadable (the button carries what the fetch needs). */
export function drawAttachments (list: Attachment[] | undefined, sender: string): string {
  if (list == null || list.length === 0) return ''
  return `<ul class="attachments">${list.map(a => `<li class="attachment" data-cid="${esc(a.cid)}">
    📎 <b>${esc(a.name ?? 'attachment')}</b> <code title="${esc(a.cid)}">${esc(short(a.cid, 12))}</code>
    <span class="muted">${bytes(a.size)} · ${esc(a['media-type'])}</span>
    <button type="button" class="download" data-cid="${esc(a.cid)}" data-size="${a.size}" data-type="${esc(a['media-type'])}" data-name="${esc(a.name ?? a.cid)}" data-sender="${esc(sender)}">download</button>
    <span class="dl-status"></span></li>`).join('')}</ul>`
}

export function drawItem (i: ChannelItem, me: string, accepting: boolean): string {
  const e = i.envelope as unknown as Record<string, any>
  const from = who(i.envelope.sender['node/id'], me)
  const out = i.excluded == null ? '' : ` <span class="tag bad">excluded: ${esc(i.excluded)}</span>`
  switch (i.type) {
    case 'swarm/contribution': {
      const c = i.envelope as ContributionEnvelope
      const accept = accepting && i.excluded == null ? `<label class="accept"><input type="checkbox" name="accept" value="${esc(c.id)}"> accept</label>` : ''
      return `<li class="contribution k-${esc(c.kind)}${i.excluded == null ? '' : ' excluded'}" data-id="${esc(c.id)}">
        <div class="head"><span class="kind">${esc(c.kind)}</span> <span class="conf" title="confidence ${c.confidence}"><i style="width:${Math.round(c.confidence * 100)}%"></i></span> ${Math.round(c.confidence * 100)}%
        · ${esc(from)}${c['in-reply-to'] == null ? '' : ` · re <code>${esc(short(c['in-reply-to'], 14))}</code>`}${out} ${accept}</div>
        <div class="body">${esc(c.text)}</div>
        ${c.sources.length === 0 ? '' : `<div class="sources">sources: ${c.sources.map(s => `<code>${esc(s)}</code>`).join(' ')}</div>`}
        ${drawAttachments(c.attachments, c.sender['node/id'])}</li>`
    }
    case 'swarm/presence': return `<li class="event">${esc(from)} ${e.event === 'join' ? 'joined' : 'left'} as ${esc(e.role)}</li>`
    case 'swarm/secretary-claim': return `<li class="event">${esc(from)}: secretary ${esc(e.mode)} — ${esc(e.reason)}</li>`
    case 'swarm/summary': return `<li class="event">${esc(from)} posted a ${esc(e.status)} summary</li>`
    case 'swarm/close': return `<li class="event">closed by ${esc(from)}: ${esc(e.resolution)}${e.note == null ? '' : ` — ${esc(e.note)}`}${(e.accepted as string[] | undefined)?.length ? ` · accepted ${(e.accepted as string[]).map(a => `<a href="#" class="cite" data-cite="${esc(a)}">${esc(short(a, 14))}</a>`).join(' ')}` : ''}${out}</li>`
    default: return ''
  }
}

/** The summary panel: each item's sources link to the contributions they cite (held here or not). */
export function drawSummary (s: SummaryEnvelope, held: (id: string) => boolean): string {
  const source = (id: string): string => held(id)
    ? `<a href="#" class="cite" data-cite="${esc(id)}" title="${esc(id)}">${esc(short(id, 14))}</a>`
    : `<code title="not held here">${esc(short(id, 14))}</code>`
  const part = (title: string, items: SummaryEnvelope['content']['facts']): string => items.length === 0
    ? ''
    : `<h4>${title}</h4><ul>${items.map(x => `<li>${esc(x.text)} <span class="muted">(${Math.round(x.confidence * 100)}%)</span>
      ${x.sources.length === 0 ? '' : `<span class="srcs">sources: ${x.sources.map(source).join(' ')}</span>`}</li>`).join('')}</ul>`
  return `<section class="summary"><h3>Summary <span class="tag">${esc(s.status)}</span> <span class="muted">uncertainty ${Math.round(s.content.uncertainty * 100)}%</span></h3>
    ${part('Facts', s.content.facts)}${part('Hypotheses', s.content.hypotheses)}${part('Recommendations', s.content.recommendations)}
    ${drawAttachments(s.attachments, s.sender['node/id'])}</section>`
}

/** The asker's close: the ticked contributions are accepted (none: resolved). */
export function closeForm (): string {
  return '<form class="close-q"><div class="row"><button class="close">Close question</button> <span class="muted">accepting the ticked answers</span> <span class="err"></span></div></form>'
}

export function answerForm (v: QuestionView): string {
  const kinds = KINDS.filter(k => k !== 'clarification-request' || v.envelope.delivery['follow-ups?'] !== false)
  const replies = v.items.filter(i => i.type === 'swarm/contribution')
  return `<form class="answer">
    <textarea name="text" rows="3" required placeholder="Your contribution…"></textarea>
    <div class="row">
      <label>kind <select name="kind">${kinds.map(k => `<option>${k}</option>`).join('')}</select></label>
      <label>confidence <input name="confidence" type="range" min="0" max="1" step="0.05" value="0.6"><output>60%</output></label>
      <label>sources <input name="sources" placeholder="url, doc:…, comma separated"></label>
      ${replies.length === 0 ? '' : `<label>reply to <select name="replyTo"><option value="">—</option>${replies.map(i => `<option value="${esc(i.id)}">${esc(short(i.id, 14))}</option>`).join('')}</select></label>`}
      <button>Answer</button> <span class="err"></span>
    </div></form>`
}

export const EMPTY_STATE = '<div class="empty"><h2>No questions yet</h2><p>Ask the swarm on the left. Questions your federation asks, and those open when this page loaded, appear in the list.</p></div>'
