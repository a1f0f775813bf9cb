// Child process for the channel-store durability test: writes question records and channel
// entries in concurrent groups (some acknowledged with sync, most not, as a daemon does), and
// prints the key of each acknowledged write once its promise has resolved, until the parent
// kills it with SIGKILL.
import { buildQuestion } from '../../../src/envelope/index.ts'
import { identityFromSeed, newSeed } from '../../../src/identity/index.ts'
import { ChannelStore } from '../../../src/bus/repository.ts'
import { openDb } from '../../../src/store/db.ts'

const [dir] = process.argv.slice(2)
const db = await openDb(dir)
const store = new ChannelStore(db.bucket('questions'), db.bucket('channel'))
const me = await identityFromSeed(newSeed(), 'fed:crash')
for (let round = 0; ; round++) {
  const writes: Array<Promise<void>> = []
  for (let i = 0; i < 16; i++) {
    const q = buildQuestion(me, { text: `crash round ${round} question ${i}`, scope: 'federation-local' })
    const wire = JSON.stringify(q)
    const acked = i % 4 === 0
    writes.push(store.putQuestion({ id: q.id, envelope: q, wire, role: 'asker', eligible: true, joined: true, receivedAt: Date.now() }, acked).then(() => {
      if (acked) process.stdout.write(`q ${q.id}\n`)
    }))
    writes.push(store.putEntry(q.id, { seq: 1, id: q.id, type: q.type, wire, envelope: q, at: Date.now() }, acked).then(() => {
      if (acked) process.stdout.write(`e ${q.id}\n`)
    }))
  }
  await Promise.all(writes)
}
