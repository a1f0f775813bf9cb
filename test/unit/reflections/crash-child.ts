// Child process for the durability test: adds reflections with synced writes and prints each
// id once its add has resolved, until the parent kills it with SIGKILL.
import { openDb } from '../../../src/store/db.ts'
import { ReflectionStore } from '../../../src/reflections/store.ts'

const [dir, count] = process.argv.slice(2)
const db = await openDb(dir)
const store = new ReflectionStore(db)
for (let i = 0; i < Number(count); i++) {
  const r = await store.add({ description: `crash test reflection number ${i} about durable writes`, outcome: 'success', tags: ['crash'] }, 'node:crash')
  process.stdout.write(r.id + '\n')
}
await db.close()
