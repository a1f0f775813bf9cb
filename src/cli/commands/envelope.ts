// swarm envelope …: build, sign and verify envelopes locally, no daemon needed. Conformance
// helpers (signing-input, sign) work on any JSON object and domain, e.g. the Orbiplex vectors.

import { questionFields, questionOptions, type QuestionFlags } from '../question-options.ts'
import { InvalidArgumentError, type Command } from 'commander'
import { collect, createContext, timestampIn, type CliContext, type CliIO } from '../context.ts'
import { SwarmError } from '../../errors.ts'

// Literal copies of the schema enums, so `swarm --help` does not load zod (a test keeps them equal).

function secretKeyHex (value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError(`--secret-key-hex must be 64 hex characters (32 bytes), got ${value.length} characters`)
  return value.toLowerCase()
}


async function readInput (ctx: CliContext, file: string): Promise<Uint8Array> {
  if (file === '-') {
    const chunks: Uint8Array[] = []
    for await (const chunk of ctx.io.stdin) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk as Uint8Array)
    return new Uint8Array(Buffer.concat(chunks))
  }
  const { readFile } = await import('node:fs/promises')
  try {
    return new Uint8Array(await readFile(file))
  } catch (err) {
    throw new SwarmError('unreadable', `cannot read ${file}: ${(err as Error).message}`)
  }
}

async function readObject (ctx: CliContext, file: string): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await readInput(ctx, file))
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new SwarmError('bad-json', `${file === '-' ? 'stdin' : file} is not JSON: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SwarmError('bad-json', `${file === '-' ? 'stdin' : file} is not a JSON object`)
  return value as Record<string, unknown>
}

/** `signature` is never signed; --unsigned adds more (transport fields, as in the handshake vector). */
function unsignedFields (extra: string[] | undefined): string[] {
  return [...new Set(['signature', ...(extra ?? [])])]
}

interface QuestionOptions extends QuestionFlags {
  createdAt?: string
}

export default function register (program: Command, io: CliIO): void {
  const envelope = program.command('envelope').description('build, sign and verify envelopes (no daemon needed)')

  envelope.command('signing-input')
    .description('the bytes a signature covers: domain + 0x00 + deterministic CBOR of the object without its unsigned fields (hex)')
    .argument('<file>', 'JSON object file, or - for stdin')
    .requiredOption('--domain <domain>', 'signing domain tag, e.g. swarm/question.v1')
    .option('--unsigned <field>', 'a top-level field left out of the signature (repeatable; signature always is)', collect)
    .addHelpText('after', '\nExample:\n  swarm envelope signing-input --domain node-advertisement.v1 advert.json')
    .action(async (file: string, opts: { domain: string, unsigned?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const obj = await readObject(ctx, file)
      const { signingInput, bytesToHex } = await import('../../envelope/index.ts')
      const hex = bytesToHex(signingInput(opts.domain, obj, unsignedFields(opts.unsigned)))
      ctx.out.result(ctx.json ? { domain: opts.domain, hex } : hex)
    })

  envelope.command('sign')
    .description('Ed25519 signature of the signing input, base64url without padding or prefix')
    .argument('<file>', 'JSON object file, or - for stdin')
    .requiredOption('--domain <domain>', 'signing domain tag, e.g. swarm/question.v1')
    .requiredOption('--secret-key-hex <hex>', 'the 32-byte Ed25519 secret key (seed) as hex', secretKeyHex)
    .option('--unsigned <field>', 'a top-level field left out of the signature (repeatable; signature always is)', collect)
    .action(async (file: string, opts: { domain: string, secretKeyHex: string, unsigned?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const obj = await readObject(ctx, file)
      const { signingInput, hexToBytes, base64urlEncode, createSigner } = await import('../../envelope/index.ts')
      const signer = createSigner(hexToBytes(opts.secretKeyHex))
      const signature = base64urlEncode(signer.sign(signingInput(opts.domain, obj, unsignedFields(opts.unsigned))))
      ctx.out.result(ctx.json ? { domain: opts.domain, signature, pubkey: signer.pubkey } : signature)
    })

  questionOptions(envelope.command('question')
    .description('a signed swarm/question envelope made with this home\'s key (printed, not published)')
    .argument('<text>', 'the question'), { default: 1800, help: 'seconds the asker accepts answers' })
    .option('--created-at <time>', 'RFC 3339 creation time (default now)', timestampIn('--created-at'))
    .addHelpText('after', '\nExample:\n  swarm envelope question "How do I rotate a federation trust root safely?" --tag trust --lang en > q.json')
    .action(async (text: string, opts: QuestionOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const [{ loadConfig }, { loadIdentity }, { buildQuestion }] = await Promise.all([
        import('../../config/load.ts'), import('../../identity/index.ts'), import('../../envelope/index.ts')
      ])
      const config = await loadConfig({ file: ctx.paths.config, env: ctx.io.env })
      const identity = await loadIdentity(ctx.paths.key, config.node.federation)
      const question = buildQuestion(identity, { text, ...questionFields(opts), createdAt: opts.createdAt } as Parameters<typeof buildQuestion>[1])
      ctx.out.result(question)
    })

  envelope.command('verify')
    .description('check an envelope: JSON, size, schema, key binding, signature, expiry (against now)')
    .argument('<file>', 'envelope JSON file, or - for stdin')
    .addHelpText('after', '\nPrints {"valid":true,"type","id"} (exit 0) or {"valid":false,"reason","detail"} (exit 1).')
    .action(async (file: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const bytes = await readInput(ctx, file)
      const { EnvelopeValidator } = await import('../../envelope/index.ts')
      const verdict = await new EnvelopeValidator().validate(bytes)
      // JSON in both modes: scripts read it either way; one line for people.
      if (verdict.ok) {
        ctx.out.result({ valid: true, type: verdict.envelope.type, id: verdict.envelope.id }, (v) => JSON.stringify(v))
      } else {
        const out: Record<string, unknown> = { valid: false, reason: verdict.reason, detail: verdict.detail }
        if (verdict.path !== undefined) out.path = verdict.path
        if (verdict.type !== undefined) out.type = verdict.type
        if (verdict.id !== undefined) out.id = verdict.id
        ctx.out.result(out, (v) => JSON.stringify(v))
        process.exitCode = 1
      }
    })
}
