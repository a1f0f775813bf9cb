// kill -9 in the middle of acknowledged writes: a child process prints one line per write it was
// told is durable, and is killed hard once it printed `after` lines. What it printed is what a
// crash must not lose.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

const NODE = resolve('node_modules/.bin/node')

export interface Crashed { printed: string[], signal: NodeJS.Signals | null }

export async function runUntilKilled (script: string, args: string[], after: number): Promise<Crashed> {
  const child = spawn(NODE, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const printed: string[] = []
  let buffer = ''
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', () => { resolve() })
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      printed.push(...lines)
      if (printed.length >= after && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
  })
  return { printed, signal: child.signalCode }
}
