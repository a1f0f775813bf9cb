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
