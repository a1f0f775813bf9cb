// Reputation: this node's local score per node id, its own part so that the bus (which judges
// contributors) and synthesis (which moves scores on outcomes) both use it without importing
// each other. The policies that decide the deltas stay in src/synthesis/outcomes.ts.

export { ReputationBook, type AdjustOptions, type ReputationRecord } from './book.ts'
