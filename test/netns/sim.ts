// A simulated internet in network namespaces (root only), built and torn down by the test:
//
//   public ns  203.0.113.1/24 on a bridge: the bootstrap daemon and a STUN responder
//   router ns  wan 203.0.113.1N on the bridge, lan 192.0.2.(64(N-1)+1)/26, iptables NAT:
//              'cone' = MASQUERADE (keeps the source port: endpoint-independent mapping),
//              'symmetric' = MASQUERADE --random-fully (a new port per destination)
//   home ns    192.0.2.(64(N-1)+2)/26, default route through its router
//
// Only documentation ranges (RFC 5737) are used. Routers drop unsolicited inbound traffic
// (TCP gets a reset, so a dial-back fails fast); dropping in INPUT also keeps such a packet
// from leaving a conntrack entry that would steal the port a punch needs.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

export type NatKind = 'cone' | 'symmetric'

export const PUBLIC_IP = '203.0.113.1'
export const STUN_PORT = 3478

export interface Home { ns: string, router: string, ip: string, wanIp: string, nat: NatKind }

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => { try { execFileSync(p, ['-V'], { stdio: 'ignore' }); return true } catch { return false } }) ?? 'ip'

function run (args: string[]): void {
  execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function inNs (ns: string, cmd: string[]): void {
  execFileSync(IP, ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function cannotSimulate (): string | undefined {
  if (process.getuid?.() !== 0) return 'simulated networks need root (ip netns, iptables); CI runs as root'
  const probe = `swprobe${randomBytes(3).toString('hex')}`
  try {
    run(['netns', 'add', probe])
    inNs(probe, ['iptables', '-t', 'nat', '-L', '-n'])
  } catch (err: any) {
    return `cannot create a network namespace with iptables here: ${String(err.stderr ?? err.message).trim()}`
  } finally {
    try { run(['netns', 'del', probe]) } catch {}
  }
  return undefined
}

export class SimNet {
  /** Per-run prefix: namespaces and links of this run only, so cleanup never touches others. */
  readonly prefix = `sw${randomBytes(2).toString('hex')}`
  readonly pub: string
  readonly homes: Home[] = []
  private readonly namespaces: string[] = []
  private readonly children: ChildProcess[] = []

  constructor () {
    this.pub = this.ns('pub')
  }

  private ns (name: string): string {
    const ns = `${this.prefix}-${name}`
    run(['netns', 'add', ns])
    this.namespaces.push(ns)
    inNs(ns, [IP, 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** The public network: a bridge every router's wan joins. */
  build (nats: NatKind[]): this {
    inNs(this.pub, [IP, 'link', 'add', 'br0', 'type', 'bridge'])
    inNs(this.pub, [IP, 'addr', 'add', `${PUBLIC_IP}/24`, 'dev', 'br0'])
    inNs(this.pub, [IP, 'link', 'set', 'br0', 'up'])
    nats.forEach((nat, i) => { this.homes.push(this.addHome(i + 1, nat)) })
    return this
  }

  private addHome (n: number, nat: NatKind): Home {
    const router = this.ns(`r${n}`)
    const home = this.ns(`h${n}`)
    const wanIp = `203.0.113.${10 + n}`
    const lanBase = 64 * (n - 1)
    const [routerLan, homeIp] = [`192.0.2.${lanBase + 1}`, `192.0.2.${lanBase + 2}`]
    const [wan, wanPeer, lan, lanPeer] = [`${this.prefix}w${n}`, `${this.prefix}W${n}`, `${this.prefix}l${n}`, `${this.prefix}h${n}`]
    run(['link', 'add', wan, 'netns', router, 'type', 'veth', 'peer', 'name', wanPeer, 'netns', this.pub])
    inNs(this.pub, [IP, 'link', 'set', wanPeer, 'master', 'br0', 'up'])
    inNs(router, [IP, 'addr', 'add', `${wanIp}/24`, 'dev', wan])
    inNs(router, [IP, 'link', 'set', wan, 'up'])
    run(['link', 'add', lan, 'netns', router, 'type', 'veth', 'peer', 'name', lanPeer, 'netns', home])
    inNs(router, [IP, 'addr', 'add', `${routerLan}/26`, 'dev', lan])
    inNs(router, [IP, 'link', 'set', lan, 'up'])
    inNs(home, [IP, 'addr', 'add', `${homeIp}/26`, 'dev', lanPeer])
    inNs(home, [IP, 'link', 'set', lanPeer, 'up'])
    inNs(home, [IP, 'route', 'add', 'default', 'via', routerLan])
    inNs(router, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
    const ipt = (...args: string[]): void => { inNs(router, ['iptables', ...args]) }
    ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', wan, '-j', 'MASQUERADE', ...(nat === 'symmetric' ? ['--random-fully'] : []))
    ipt('-A', 'FORWARD', '-i', wan, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT')
    ipt('-A', 'FORWARD', '-i', wan, '-j', 'DROP')
    ipt('-A', 'INPUT', '-i', wan, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT')
    ipt('-A', 'INPUT', '-i', wan, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset')
    ipt('-A', 'INPUT', '-i', wan, '-j', 'DROP')
    return { ns: home, router, ip: homeIp, wanIp, nat }
  }

  /** Starts a STUN responder in the public namespace; resolves once it listens. */
  async startStun (root: string): Promise<void> {
    const child = spawn(IP, ['netns', 'exec', this.pub, process.execPath, join(root, 'test', 'netns', 'stun-server.ts'), PUBLIC_IP, String(STUN_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.children.push(child)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('stun responder did not start')) }, 10_000)
      child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('stun ready')) { clearTimeout(timer); resolve() } })
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`stun responder exited ${String(code)}`)) })
    })
  }

  /** Kills what it started and deletes every namespace of this run (links go with them). */
  destroy (): void {
    for (const c of this.children) { try { c.kill('SIGKILL') } catch {} }
    for (const ns of this.namespaces.reverse()) {
      // anything still running inside (a daemon that outlived its test) dies with the namespace
      try { execFileSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).forEach((p) => { try { process.kill(Number(p), 'SIGKILL') } catch {} }) } catch {}
      try { run(['netns', 'del', ns]) } catch {}
    }
    this.namespaces.length = 0
  }

  /** Runs argv inside a namespace, returning stdout. */
  exec (ns: string, argv: string[], timeoutMs = 60_000): Promise<{ code: number, stdout: string, stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(IP, ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
      child.once('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }) })
    })
  }
}
