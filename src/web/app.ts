// The page's app: peers, the ask form, the questions (an empty state when there are none), a
// question's live response channel (contribution kinds, confidence, sources, attachments to
// download), its summary with each source linked to the contribution it cites, the answer form,
// and for the asker the close form (accepting the ticked contributions). Plain DOM over
// window.swarm; it draws only when the page has a `#swarm-app` mount point (page.html).
import type { BusClient, QuestionView } from './bus-client.ts'
import { fetchAttachment, type SwarmPage } from './swarm-api.ts'
import type { ContributionEnvelope } from '../envelope/schemas.ts'
import { answerForm, bytes, closeForm, drawAttachments, drawItem, drawSummary, EMPTY_STATE, esc, plural, short, who } from './app-parts.ts'

const $ = <T extends HTMLElement>(root: ParentNode, sel: string): T => root.querySelector(sel) as T

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

  // the bus (and the channels kept from the last visit) is there before any peer answers: draw it at once
  swarm.busReady.then(() => {
    const bus = swarm.bus
    $<HTMLElement>(document, '#me').innerHTML = `<b>${esc(short(swarm.nodeId.replace(/^node:did:key:/, ''), 12))}</b> in <b>${esc(swarm.federation || '—')}</b>`
    if (bus == null) return
    bus.addEventListener('change', (e) => {
      const id = (e as CustomEvent<{ questionId: string }>).detail.questionId
      selected ??= id
      drawQuestions(bus)
      if (id === selected) drawChannel(bus)
    })
    bus.addEventListener('question', (e) => {
      if (selected == null) { selected = (e as CustomEvent<{ id: string }>).detail.id; drawChannel(bus) }
    })
    selected ??= [...bus.questions.values()].sort((a, b) => b.receivedAt - a.receivedAt)[0]?.id
    wireAsk(bus)
    drawQuestions(bus)
    drawChannel(bus)
    setInterval(() => { drawPeers(); drawQuestions(bus) }, 1000)
  }, () => {})

  swarm.ready.then(() => {
    const conn = swarm.connections()[0]
    const via = conn == null ? '' : conn.remoteAddr.includes('/webrtc-direct') ? 'webrtc-direct' : conn.remoteAddr.includes('/ws') ? 'websockets' : 'libp2p'
    setStatus(`connected · ${via}`, 'ok')
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
      ? '<li class="muted empty-list">no questions yet — ask one, or wait for the swarm</li>'
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
    if (v == null) { pane.innerHTML = bus.questions.size === 0 ? EMPTY_STATE : '<p class="muted">Select a question to follow its response channel.</p>'; return }
    if (!v.joined) void bus.watch(v.id)
    const q = v.envelope
    const deadline = Date.parse(q['created-at']) + q['ttl-sec'] * 1000
    const state = bus.state(v)
    const summary = bus.summary(v.id)
    const live = state === 'open' || state === 'answered'
    const closing = v.mine && live && bus.acting(v) === bus.nodeId
    // a redraw keeps what the asker ticked so far
    const ticked = new Set(Array.from(pane.querySelectorAll<HTMLInputElement>('input[name=accept]:checked'), i => i.value))
    pane.innerHTML = `
      <h2>${esc(q.question.text)}</h2>
      <div class="meta"><span class="tag s-${state}">${state}</span> <span class="tag u-${esc(q.question.urgency)}">${esc(q.question.urgency)}</span>
        <span class="tag">${esc(q.delivery.scope)}</span> ${q.question.tags.map(t => `<span class="tag">#${esc(t)}</span>`).join(' ')}
        · asked by ${esc(who(q.sender['node/id'], bus.nodeId))} · ${remaining(deadline - Date.now())}
        · follow-ups ${q.delivery['follow-ups?'] === false ? 'off' : 'on'} · <code title="${esc(v.id)}">${esc(short(v.id, 14))}</code></div>
      ${drawAttachments(q.attachments, q.sender['node/id'])}
      ${summary == null ? '' : drawSummary(summary, id => v.channel.get(id) != null)}
      <ol class="feed">${v.items.map(i => drawItem(i, bus.nodeId, closing)).join('') || '<li class="muted">no contributions yet</li>'}</ol>
      ${closing ? closeForm() : ''}
      ${live ? answerForm(v) : ''}`
    for (const id of ticked) { const box = pane.querySelector<HTMLInputElement>(`input[name=accept][value="${CSS.escape(id)}"]`); if (box != null) box.checked = true }
    const form = pane.querySelector<HTMLFormElement>('form.answer')
    if (form != null) wireAnswer(bus, v, form)
    const close = pane.querySelector<HTMLFormElement>('form.close-q')
    if (close != null) wireClose(bus, v, close, pane)
    wireCites(pane)
    wireDownloads(pane)
  }

  /** A source or accepted id links to the contribution it names: highlight it and bring it into view. */
  function wireCites (pane: HTMLElement): void {
    pane.querySelectorAll<HTMLAnchorElement>('a.cite').forEach(a => {
      a.onclick = (ev) => {
        ev.preventDefault()
        const li = pane.querySelector<HTMLElement>(`.feed li[data-id="${CSS.escape(a.dataset.cite ?? '')}"]`)
        if (li == null) return
        pane.querySelectorAll('.feed li.cited').forEach(x => { x.classList.remove('cited') })
        li.classList.add('cited')
        li.scrollIntoView({ block: 'center', behavior: 'smooth' })
      }
    })
  }

  function wireDownloads (pane: HTMLElement): void {
    pane.querySelectorAll<HTMLButtonElement>('button.download').forEach(btn => {
      btn.onclick = () => {
        const status = btn.parentElement?.querySelector<HTMLElement>('.dl-status')
        const d = btn.dataset
        if (status != null) status.textContent = 'fetching…'
        btn.disabled = true
        fetchAttachment(swarm.node!, d.cid!, { size: Number(d.size), senderNodeId: d.sender }).then((got) => {
          const url = URL.createObjectURL(new Blob([got.bytes as BlobPart], { type: d.type }))
          const a = document.createElement('a')
          a.href = url
          a.download = d.name ?? d.cid!
          a.click()
          setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
          if (status != null) { status.textContent = `verified ✓ ${bytes(got.bytes.length)}`; status.dataset.sha256 = got.sha256 }
        }, (err: Error) => { if (status != null) status.textContent = err.message.split(':')[0] }).finally(() => { btn.disabled = false })
      }
    })
  }

  function wireClose (bus: BusClient, v: QuestionView, form: HTMLFormElement, pane: HTMLElement): void {
    form.onsubmit = (ev) => {
      ev.preventDefault()
      const accept = Array.from(pane.querySelectorAll<HTMLInputElement>('input[name=accept]:checked'), i => i.value)
      bus.close(v.id, { accept }).then(() => { drawQuestions(bus); drawChannel(bus) },
        (e: Error) => { form.querySelector<HTMLElement>('.err')!.textContent = e.message })
    }
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
