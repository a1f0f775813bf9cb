// The foreground daemon's terminal lines: time, level, part, message and a few fields, from the
// same JSON line daemon.log gets. Only for a TTY; pipes, --json and systemd keep JSON.

const SHOWN_FIELDS = 4
const FIELD_CHARS = 60
const COLORS: Record<string, string> = { trace: '90', debug: '36', info: '32', warn: '33', error: '31' }

function short (v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)
  return s.length <= FIELD_CHARS ? s : `${s.slice(0, FIELD_CHARS - 1)}…`
}

/** One readable line (with a newline) for a JSON log line; the line itself if it is not JSON. */
export function prettyLine (json: string, color = true): string {
  let e: Record<string, unknown>
  try { e = JSON.parse(json) } catch { return json.endsWith('\n') ? json : json + '\n' }
  const { time, level, msg, component, ...rest } = e
  const t = typeof time === 'string' ? time.slice(11, 23) : ''
  const lv = String(level ?? '').toUpperCase().padEnd(5)
  const lvShown = color ? `\u001B[${COLORS[String(level)] ?? '0'}m${lv}\u001B[0m` : lv
  const fields = Object.entries(rest).slice(0, SHOWN_FIELDS).map(([k, v]) => `${k}=${short(v)}`)
  const more = Object.keys(rest).length > SHOWN_FIELDS ? ' …' : ''
  return `${t} ${lvShown} ${component !== undefined ? `[${String(component)}] ` : ''}${String(msg ?? '')}${fields.length > 0 ? '  ' + fields.join(' ') : ''}${more}\n`
}
