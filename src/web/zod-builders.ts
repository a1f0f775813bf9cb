// The zod builders the envelope schemas use (see zod-subset.ts). zod does not export this file
// by name; scripts/build-web.ts resolves the path inside the installed package.
// @ts-expect-error not in zod's "exports"; only the browser bundle imports this file
export { array, boolean, enum, literal, number, record, strictObject, string, unknown } from 'zod/v4/classic/schemas.js'
