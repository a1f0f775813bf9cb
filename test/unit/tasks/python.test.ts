import { describe, it, expect } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { tmpdir } from 'node:os'
import { runPython, pythonAvailable } from '../../../src/tasks/executors/python.ts'

const available = await pythonAvailable('python3')

/** Alive and not a zombie waiting for a reaper. */
function isRunning (pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

describe.skipIf(!available)('runPython', () => {
  it('runs code and captures stdout', async () => {
    const r = await runPython('print(6*7)')
    expect(r).toMatchObject({ stdout: '42\n', stderr: '', exitCode: 0, timedOut: false, truncated: false })
    expect(r.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('reports exceptions on stderr with the task as the only frame', async () => {
    const r = await runPython('x = 1\nraise ValueError("boom")')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('ValueError: boom')
    expect(r.stderr).toContain('File "<task>", line 2')
    expect(r.stderr).not.toContain('<string>')
  })

  it('passes sys.exit codes through', async () => {
    expect((await runPython('import sys; sys.exit(3)')).exitCode).toBe(3)
  })

  it('hides the daemon environment and runs in an empty scratch directory', async () => {
    process.env.SWARM_TEST_SECRET = 'hunter2'
    try {
      const r = await runPython([
        'import os, json',
        'print(json.dumps({"env": dict(os.environ), "cwd": os.getcwd(), "files": os.listdir(".")}))'
      ].join('\n'))
      const out = JSON.parse(r.stdout)
      expect(Object.keys(out.env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TMPDIR'])
      expect(JSON.stringify(out.env)).not.toContain('hunter2')
      expect(out.env.HOME).toBe(out.cwd)
      expect(out.env.LANG).toBe('C.UTF-8')
      expect(out.files).toEqual([])
    } finally {
      delete process.env.SWARM_TEST_SECRET
    }
  })

  it('removes the scratch directory afterwards, even a read-only one', async () => {
    const r = await runPython('import os\nos.makedirs("a/b")\nopen("a/b/f","w").write("x")\nos.chmod("a/b", 0o500)\nos.chmod("a", 0o000)\nprint(os.getcwd())')
    expect(r.exitCode).toBe(0)
    const scratch = r.stdout.trim()
    expect(scratch.startsWith(tmpdir())).toBe(true)
    expect(existsSync(scratch)).toBe(false)
  })

  it('kills the process group on timeout', async () => {
    const started = Date.now()
    const r = await runPython('import subprocess, time\np = subprocess.Popen(["sleep", "30"])\nprint(p.pid, flush=True)\ntime.sleep(30)', { timeoutMs: 500 })
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBeNull()
    expect(Date.now() - started).toBeLessThan(5000)
    const grandchild = Number(r.stdout.trim())
    expect(grandchild).toBeGreaterThan(0)
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(isRunning(grandchild)).toBe(false)
  })

  it('rejects with code aborted when the caller aborts, and cleans up', async () => {
    // The task reports its scratch directory through a file outside it (the sandbox is no jail).
    const report = join(await mkdtemp(join(tmpdir(), 'swarmd-pytest-')), 'cwd')
    const ac = new AbortController()
    const run = runPython(`import os, time\nopen(${JSON.stringify(report)}, "w").write(os.getcwd())\ntime.sleep(30)`, { signal: ac.signal })
    while (!existsSync(report) || readFileSync(report, 'utf8') === '') await new Promise(resolve => setTimeout(resolve, 20))
    ac.abort()
    await expect(run).rejects.toMatchObject({ code: 'aborted' })
    expect(existsSync(readFileSync(report, 'utf8'))).toBe(false)
    await rm(dirname(report), { recursive: true, force: true })
    await expect(runPython('print(1)', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' })
  })

  it('enforces the memory limit: a 2 GB allocation fails', async () => {
    const r = await runPython('b = bytearray(2 * 1024 ** 3)\nprint("allocated")', { memoryMb: 256 })
    expect(r.stdout).toBe('')
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toContain('MemoryError')
  })

  it('allows an allocation within the limit', async () => {
    const r = await runPython('b = bytearray(64 * 1024 ** 2)\nprint(len(b))', { memoryMb: 256 })
    expect(r.stdout).toBe(String(64 * 1024 ** 2) + '\n')
  })

  it('caps each output stream and flags truncation', async () => {
    const r = await runPython('import sys\nsys.stdout.write("x" * 100000)\nsys.stderr.write("y" * 10)', { outputBytes: 1000 })
    expect(r.stdout).toBe('x'.repeat(1000))
    expect(r.stderr).toBe('y'.repeat(10))
    expect(r.truncated).toBe(true)
    expect(r.exitCode).toBe(0)
  })

  it('keeps stdout and stderr apart and decodes UTF-8', async () => {
    const r = await runPython('import sys\nprint("żółw")\nprint("err", file=sys.stderr)')
    expect(r.stdout).toBe('żółw\n')
    expect(r.stderr).toBe('err\n')
  })

  it('cannot read the task source from stdin again', async () => {
    const r = await runPython('import sys\nprint(repr(sys.stdin.read()))')
    expect(r.stdout).toBe("''\n")
  })

  it('refuses an oversized program', async () => {
    await expect(runPython('#' + 'x'.repeat(300 * 1024))).rejects.toMatchObject({ code: 'too-large' })
  })
})

describe('pythonAvailable', () => {
  it('is false for a missing interpreter and runPython says so', async () => {
    expect(await pythonAvailable('/nonexistent/python3')).toBe(false)
    await expect(runPython('print(1)', { python: '/nonexistent/python3' })).rejects.toMatchObject({ code: 'python-unavailable' })
  })

  it('is false for something that is not Python 3', async () => {
    expect(await pythonAvailable('/bin/false')).toBe(false)
  })
})
