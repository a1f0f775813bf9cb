// Building blocks of the control methods' parameter schemas (zod), so one rule reads the same in
// every method: a required text is a non-empty string, lists hold non-empty strings, numbers are
// finite and bounded.

import { z } from 'zod'
import { attachments as attachmentsSchema } from '../../envelope/schemas.ts'
import { QUESTION_ID_PATTERN } from '../../envelope/ids.ts'

/** A method's parameters: named fields; keys the schema does not name pass through untouched. */
export const params = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape)
/** A non-empty string. */
export const text = () => z.string().min(1, 'must be a non-empty string')
/** A list of non-empty strings. */
export const texts = () => z.array(text())
/** A finite number in [min, max]. */
export const num = (min: number, max: number) => z.number().min(min).max(max)
/** A whole number in [min, max]. */
export const int = (min: number, max: number) => z.int().min(min).max(max)
/** A question id (`question:<ULID>`). */
export const questionId = () => z.string().regex(QUESTION_ID_PATTERN, 'must be a question id (question:<ULID>)')
/** Attachments named by content id (blob.put gives them); an empty list means none. */
export const attachmentList = () => z.preprocess((v) => Array.isArray(v) && v.length === 0 ? undefined : v, attachmentsSchema)
/** No parameters (any given are ignored). */
export const none = () => params({})
