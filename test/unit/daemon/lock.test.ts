import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { pidAlive } from '../../../src/daemon/lock.ts'

describe('pidAlive', () => {
  it.runIf(existsSync('/proc/self/stat'))('a running process is alive; an exited one its parent has not reaped (a zombie) is not', async () => {
    // sh starts a short sleep in the background, prints its pid and becomes `sleep 30`, which never
    // reaps it (the child outlives the exec: a `true` could exit, and sh reap it, before)
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      const zombie = Number(await new Promise<string>((resolve) => { parent.stdout.once('data', (d: Buffer) => { resolve(d.toString()) }) }))
      expect(pidAlive(parent.pid as number)).toBe(true)
      const deadline = Date.now() + 5000
      while (pidAlive(zombie) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      // still there for kill(pid, 0): only its state says it has exited
      expect(() => { process.kill(zombie, 0) }).not.toThrow()
      expect(pidAlive(zombie)).toBe(false)
    } finally {
      parent.kill('SIGKILL')
    }
  })
})
