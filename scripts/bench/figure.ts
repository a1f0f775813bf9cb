// One benchmark figure as `npm run bench` prints it. Speed is judged by ratios and targets,
// never by timed unit tests.

export type Figure = {
  name: string
  value: number
  unit: string
  target: string
  baseline?: number
  ratio?: number
  pass: boolean
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

export function round (n: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** A figure with `pass` computed from an upper (`<=`) or lower (`>=`) bound. */
export function figure (name: string, value: number, unit: string, bound: { max?: number, min?: number }, extra: { baseline?: number, ratio?: number } = {}): Figure {
  const target = bound.max !== undefined ? `<= ${bound.max}` : bound.min !== undefined ? `>= ${bound.min}` : 'report'
  const pass = (bound.max === undefined || value <= bound.max) && (bound.min === undefined || value >= bound.min) && Number.isFinite(value)
  const f: Figure = { name, value: round(value), unit, target, pass }
  if (extra.baseline !== undefined) f.baseline = round(extra.baseline)
  if (extra.ratio !== undefined) f.ratio = round(extra.ratio)
  return f
}
