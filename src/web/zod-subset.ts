// What the browser bundle sees as `zod` (scripts/build-web.ts maps the import here): zod's own
// classic schema builders, but only those src/envelope/schemas.ts calls. `import { z } from
// 'zod'` would otherwise keep every locale and the JSON-Schema converters (~450 KB minified);
// the schemas, their checks and safeParse are exactly zod's, so verdicts match the daemon's.
export * as z from './zod-builders.ts'
