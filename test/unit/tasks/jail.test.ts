import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { jailArgs, probeJail, type JailPlan } from '../../../src/tasks/executors/jail.ts'
import { parseLdd } from '../../../src/tasks/executors/python-layout.ts'
import { JAIL_SCRATCH, JAIL_UID } from '../../../src/tasks/constants.ts'

const plan: JailPlan = { bwrap: '/usr/bin/bwrap', layout: { exe: '/usr/bin/python3.11', paths: ['/usr/bin/python3.11', '/usr/lib/python3.11', '/usr/lib/x86_64-linux-gnu'] } }

/** The value following `flag` each time it appears. */
const after = (args: string[], flag: string): string[] => args.flatMap((a, i) => a === flag ? [args[i + 1]] : [])

describe('jailArgs', () => {
  const args = jailArgs(plan, ['/usr/bin/python3.11', '-c', 'print(1)'])

  it('unshares every namespace, drops into the jail user, dies with its parent, in its own session', () => {
    for (const f of ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']) expect(args).toContain(f)
    expect(args).not.toContain('--share-net')
    expect(after(args, '--uid')).toEqual([String(JAIL_UID)])
    expect(after(args, '--info-fd')).toEqual(['3'])
  })

  it('binds only the interpreter layout, read-only, and makes the root, /dev read-only; scratch is a sized tmpfs and the cwd', () => {
    expect(after(args, '--ro-bind')).toEqual(plan.layout.paths)
    expect(args).not.toContain('--bind')
    expect(args).not.toContain('--dev-bind')
    expect(after(args, '--remount-ro')).toEqual(['/dev', '/'])
    expect(after(args, '--tmpfs')).toEqual([JAIL_SCRATCH])
    expect(Number(after(args, '--size')[0])).toBeGreaterThan(0)
    expect(after(args, '--chdir')).toEqual([JAIL_SCRATCH])
    expect(args.slice(args.indexOf('--') + 1)).toEqual(['/usr/bin/python3.11', '-c', 'print(1)'])
  })

  it('property: the command always follows `--`, whatever it holds, and no path is bound writable', () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 6 }), fc.array(fc.string({ minLength: 1 }).map((s) => '/' + s), { maxLength: 8 }), (argv, paths) => {
      const a = jailArgs({ ...plan, layout: { exe: '/x', paths } }, argv)
      const sep = a.indexOf('--')
      expect(a.slice(sep + 1)).toEqual(argv)
      const opts = a.slice(0, sep)
      expect(opts.filter((x) => x === '--bind' || x === '--dev-bind')).toEqual([])
      expect(after(opts, '--ro-bind')).toEqual(paths)
    }))
  })
})

describe('parseLdd', () => {
  it('takes resolved libraries and the loader, skips the vdso', async () => {
    const out = await parseLdd('\tlinux-vdso.so.1 (0x00007ffd)\n\tlibm.so.6 => /nonexistent/libm.so.6 (0x00007f10)\n\t/nonexistent/ld-linux-x86-64.so.2 (0x00007f20)\n\tlibgone.so => not found\n')
    expect(out).toEqual(['/nonexistent/libm.so.6', '/nonexistent/ld-linux-x86-64.so.2'])
  })
})

describe('probeJail (this machine: bubblewrap from scripts/setup-system.sh)', () => {
  it('finds a working jail with an interpreter-only layout', async () => {
    const p = await probeJail('python3')
    expect(p.ok, p.ok ? '' : p.reason).toBe(true)
    if (!p.ok) return
    for (const path of p.plan.layout.paths) expect(path).not.toMatch(/^\/(etc|home|root|var|work|tmp)(\/|$)/)
    expect(p.plan.layout.paths).toContain(p.plan.layout.exe)
    expect(p.plan.uid === undefined).toBe(process.getuid?.() !== 0)
  })
})
