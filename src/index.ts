// The package's public entry (`import { connect } from 'swarmd'`): the typed client of a local
// daemon and the error type its calls throw. No daemon internals, nothing that loads libp2p.
export * from './client/index.ts'
export { SwarmError, type SwarmErrorJSON } from './errors.ts'
export type { CallOptions } from './control/client.ts'
