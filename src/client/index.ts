/**
 * The typed client library of swarmd: drive a local daemon from any Node program.
 *
 * @example
 * ```ts
 * import { connect } from 'swarmd'
 * const swarm = await connect({ home: '/var/lib/swarmd' })
 * const { id } = await swarm.ask({ text: 'How do I rotate a federation trust root safely?' })
 * for await (const e of swarm.watch(id, { timeoutSec: 60 })) {
 *   if (e.type === 'contribution') console.log(e.envelope?.text)
 * }
 * swarm.disconnect()
 * ```
 */
export { connect, SwarmClient, type ConnectOptions } from './swarm-client.ts'
export type { SwarmStream } from './stream.ts'
export type { ControlTransport } from './transport.ts'
export type * from './types.ts'
