// Writes docs/control.md from the control methods' table (src/control/methods/table.ts).
// Run after changing a method's parameters: `node scripts/control-doc.ts`.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../src/root.ts'
import { renderControlDoc } from '../src/control/methods/doc.ts'

const file = join(PACKAGE_ROOT, 'docs', 'control.md')
writeFileSync(file, renderControlDoc())
console.log(`wrote ${file}`)
