// The page's app: peers, the ask form, the questions, a question's live response channel
// (contribution kinds, confidence, sources), its summary, and the answer form. Plain DOM over
// window.swarm; it draws only when the page has a `#swarm-app` mount point (page.html).
import type { BusClient, ChannelItem, QuestionView } from './bus-client.ts'
import type { SwarmPage } from './swarm-api.ts'
import type { ContributionEnvelope, SummaryEnvelope } from '../envelope/schemas.ts'

const KINDS = ['partial-answer', 'fact', 'hypothesis', 'recommendation', 'clarification-request', 'clarification', 'objection']

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
const short = (id: string, n = 10): string => id.length > n + 8 ? `${id.slice(0, n)}…${id.slice(-6)}` : id
const who = (nodeId: string, me: string): string => nodeId === me ? 'you' : short(nodeId.replace(/^node:did:key:/, ''), 8)
const $ = <T extends HTMLElement>(root: ParentNode, sel: string): T => root.querySelector(sel) as T

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

function remaining (ms: number): string {
  if (ms <= 0) return 'expired'
  const s = Math.round(ms / 1000)
  return s < 90 ? `${s} s left` : s < 5400 ? `${Math.round(s / 60)} min left` : `${Math.round(s / 3600)} h left`
}

export function mountApp (swarm: SwarmPage): void {
  const root = document.getElementById('swarm-app')
  if (root == null) return
  let selected: string | undefined
  const status = $<HTMLElement>(document, '#status')

  const setStatus = (text: string, cls: string): void => {
    if (status == null) return
    status.textContent = text
    status.className = `pill ${cls}`
  }
  setStatus('connecting…', 'wait')

  swarm.ready.then(() => {
    const bus = swarm.bus
    const conn = swarm.connections()[0]
    const via = conn == null ? '' : conn.remoteAddr.includes('/webrtc-direct') ? 'webrtc-direct' : conn.remoteAddr.includes('/ws') ? 'websockets' : 'libp2p'
    setStatus(`connected · ${via}`, 'ok')
    $<HTMLElement>(document, '#me').innerHTML = `<b>${esc(short(swarm.nodeId.replace(/^node:did:key:/, ''), 12))}</b> in <b>${esc(swarm.federation || '—')}</b>`
    if (bus == null) return
    bus.addEventListener('change', (e) => {
      const id = (e as CustomEvent<{ questionId: string }>).detail.questionId
      drawQuestions(bus)
      if (id === selected) drawChannel(bus)
    })
    bus.addEventListener('question', (e) => {
      if (selected == null) { selected = (e as CustomEvent<{ id: string }>).detail.id; drawChannel(bus) }
    })
    wireAsk(bus)
    drawQuestions(bus)
    drawChannel(bus)
    setInterval(() => { drawPeers(); drawQuestions(bus) }, 1000)
    drawPeers()
  }, (err: Error) => { setStatus(`not connected: ${err.message}`, 'bad') })

  function drawPeers (): void {
    const daemon = swarm.bootstrap?.peerId
    const byPeer = new Map<string, Set<string>>()
    for (const c of swarm.connections()) {
      const a = c.remoteAddr
      const kind = a.includes('/webrtc-direct') && !a.includes('/p2p-circuit') ? 'webrtc-direct' : c.direct && a.includes('/webrtc') ? 'webrtc' : a.includes('/p2p-circuit') ? 'relayed' : a.includes('/ws') ? 'websockets' : 'other'
      byPeer.set(c.peer, (byPeer.get(c.peer) ?? new Set()).add(kind))
    }
    $<HTMLElement>(root!, '#peers').innerHTML = byPeer.size === 0
      ? '<li class="muted">no peers yet</li>'
      : [...byPeer].map(([peer, kinds]) => `<li><code title="${esc(peer)}">${esc(short(peer, 8))}</code> ${[...kinds].map(k => `<span class="tag">${k}</span>`).join(' ')}${peer === daemon ? ' <span class="tag daemon">daemon</span>' : ''}</li>`).join('')
  }

  function drawQuestions (bus: BusClient): void {
    const views = [...bus.questions.values()].sort((a, b) => b.receivedAt - a.receivedAt)
    const el = $<HTMLElement>(root!, '#questions')
    el.innerHTML = views.length === 0
      ? '<li class="muted">no questions yet — ask one, or wait for the swarm</li>'
      : views.map(v => {
        const q = v.envelope
        const state = bus.state(v)
        return `<li data-id="${esc(v.id)}" class="${v.id === selected ? 'sel' : ''}">
          <div class="qtext">${esc(q.question.text)}</div>
          <div class="meta"><span class="tag u-${esc(q.question.urgency)}">${esc(q.question.urgency)}</span>
          <span class="tag s-${state}">${state}</span> ${v.mine ? '<span class="tag mine">asked here</span>' : `from ${esc(who(q.sender['node/id'], bus.nodeId))}`}
          · ${plural(bus.contributions(v.id).length, 'contribution')}</div></li>`
      }).join('')
    el.querySelectorAll<HTMLElement>('li[data-id]').forEach(li => {
      li.onclick = () => { selected = li.dataset.id; drawQuestions(bus); drawChannel(bus) }
    })
  }

  function drawChannel (bus: BusClient): void {
    const pane = $<HTMLElement>(root!, '#channel')
    const v = selected == null ? undefined : bus.questions.get(selected)
    if (v == null) { pane.innerHTML = '<p class="muted">Select a question to follow its response channel.</p>'; return }
    if (!v.joined) void bus.watch(v.id)
    const q = v.envelope
    const deadline = Date.parse(q['created-at']) + q['ttl-sec'] * 1000
    const state = bus.state(v)
    const summary = bus.summary(v.id)
    pane.innerHTML = `
      <h2>${esc(q.question.text)}</h2>
      <div class="meta"><span class="tag s-${state}">${state}</span> <span class="tag u-${esc(q.question.urgency)}">${esc(q.question.urgency)}</span>
        <span class="tag">${esc(q.delivery.scope)}</span> ${q.question.tags.map(t => `<span class="tag">#${esc(t)}</span>`).join(' ')}
        · asked by ${esc(who(q.sender['node/id'], bus.nodeId))} · ${remaining(deadline - Date.now())}
        · follow-ups ${q.delivery['follow-ups?'] === false ? 'off' : 'on'} · <code title="${esc(v.id)}">${esc(short(v.id, 14))}</code></div>
      ${summary == null ? '' : drawSummary(summary)}
      <ol class="feed">${v.items.map(i => drawItem(i, bus.nodeId)).join('') || '<li class="muted">no contributions yet</li>'}</ol>
      ${state === 'open' || state === 'answered' ? answerForm(v) : ''}`
    const form = pane.querySelector<HTMLFormElement>('form.answer')
    if (form != null) wireAnswer(bus, v, form)
  }

  function drawItem (i: ChannelItem, me: string): string {
    const e = i.envelope as unknown as Record<string, any>
    const from = who(i.envelope.sender['node/id'], me)
    const out = i.excluded == null ? '' : ` <span class="tag bad">excluded: ${esc(i.excluded)}</span>`
    switch (i.type) {
      case 'swarm/contribution': {
        const c = i.envelope as ContributionEnvelope
        return `<li class="contribution k-${esc(c.kind)}${i.excluded == null ? '' : ' excluded'}" data-id="${esc(c.id)}">
          <div class="head"><span class="kind">${esc(c.kind)}</span> <span class="conf" title="confidence ${c.confidence}"><i style="width:${Math.round(c.confidence * 100)}%"></i></span> ${Math.round(c.confidence * 100)}%
          · ${esc(from)}${c['in-reply-to'] == null ? '' : ` · re <code>${esc(short(c['in-reply-to'], 14))}</code>`}${out}</div>
          <div class="body">${esc(c.text)}</div>
          ${c.sources.length === 0 ? '' : `<div class="sources">sources: ${c.sources.map(s => `<code>${esc(s)}</code>`).join(' ')}</div>`}</li>`
      }
      case 'swarm/presence': return `<li class="event">${esc(from)} ${e.event === 'join' ? 'joined' : 'left'} as ${esc(e.role)}</li>`
      case 'swarm/secretary-claim': return `<li class="event">${esc(from)}: secretary ${esc(e.mode)} — ${esc(e.reason)}</li>`
      case 'swarm/summary': return `<li class="event">${esc(from)} posted a ${esc(e.status)} summary</li>`
      case 'swarm/close': return `<li class="event">closed by ${esc(from)}: ${esc(e.resolution)}${e.note == null ? '' : ` — ${esc(e.note)}`}${out}</li>`
      default: return ''
    }
  }

  function drawSummary (s: SummaryEnvelope): string {
    const part = (title: string, items: SummaryEnvelope['content']['facts']): string => items.length === 0 ? '' : `<h4>${title}</h4><ul>${items.map(x => `<li>${esc(x.text)} <span class="muted">(${Math.round(x.confidence * 100)}%, ${x.sources.length} source${x.sources.length === 1 ? '' : 's'})</span></li>`).join('')}</ul>`
    return `<section class="summary"><h3>Summary <span class="tag">${esc(s.status)}</span> <span class="muted">uncertainty ${Math.round(s.content.uncertainty * 100)}%</span></h3>
      ${part('Facts', s.content.facts)}${part('Hypotheses', s.content.hypotheses)}${part('Recommendations', s.content.recommendations)}</section>`
  }

  function answerForm (v: QuestionView): string {
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

  function wireAnswer (bus: BusClient, v: QuestionView, form: HTMLFormElement): void {
    const range = form.querySelector<HTMLInputElement>('input[name=confidence]')!
    range.oninput = () => { form.querySelector('output')!.textContent = `${Math.round(Number(range.value) * 100)}%` }
    form.onsubmit = (ev) => {
      ev.preventDefault()
      const f = new FormData(form)
      const err = form.querySelector<HTMLElement>('.err')!
      bus.answer(v.id, String(f.get('text')), {
        kind: String(f.get('kind')) as ContributionEnvelope['kind'],
        confidence: Number(f.get('confidence')),
        sources: String(f.get('sources') ?? '').split(',').map(s => s.trim()).filter(Boolean),
        replyTo: f.get('replyTo') ? String(f.get('replyTo')) : undefined
      }).then(() => { drawChannel(bus) }, (e: Error) => { err.textContent = e.message })
    }
  }

  function wireAsk (bus: BusClient): void {
    const form = $<HTMLFormElement>(root!, '#ask')
    const err = $<HTMLElement>(form, '.err')
    form.onsubmit = (ev) => {
      ev.preventDefault()
      const f = new FormData(form)
      err.textContent = ''
      bus.ask(String(f.get('text')), {
        scope: String(f.get('scope')) as never,
        urgency: String(f.get('urgency')) as never,
        ttl: Number(f.get('ttl')) * 60,
        followUps: f.get('followUps') != null,
        tags: String(f.get('tags') ?? '').split(',').map(s => s.trim()).filter(Boolean),
        lang: String(f.get('lang') ?? '').split(',').map(s => s.trim()).filter(Boolean)
      }).then((q) => {
        selected = q.id
        form.reset()
        drawQuestions(bus)
        drawChannel(bus)
      }, (e: Error) => { err.textContent = e.message })
    }
  }
}
