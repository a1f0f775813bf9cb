// Envelopes: the signed JSON messages every part exchanges. Canonical signing input
// (domain + 0x00 + deterministic CBOR), Ed25519 signing and verification (node:crypto, WebCrypto
// or noble), one schema per type, and a validator that answers with a reason.
//
//   const signer = createSigner(seed, 'fed:example')
//   const q = buildQuestion(signer, { text: 'How do I rotate a trust root?', scope: 'federation-local' })
//   const verdict = new EnvelopeValidator().validateSync(JSON.stringify(q))
//   if (verdict.ok) … else verdict.reason  // 'bad-signature', 'expired', …
//
// Browser-safe: nothing here imports node:crypto or Buffer (the native backend is looked up at
// runtime), so a browser bundle may import this file.

export type {
  Accepted, BindKey, EnvelopeBase, EnvelopeSignature, Refused, RejectReason, Sender, Signer, Unsigned, Verdict
} from './types.ts'
export { base64urlDecode, base64urlEncode } from './base64url.ts'
export { domainOf, encodeCanonical, signingInput } from './codec.ts'
export {
  createWebCryptoEd25519, defaultEd25519, nobleEd25519, nodeEd25519, syncEd25519, type Ed25519Backend
} from './ed25519.ts'
export {
  bytesToHex, didKeyFromPublicKey, formatPubkey, hexToBytes, nodeIdFromPublicKey, parsePubkey, publicKeyFromDidKey, publicKeyFromNodeId
} from './keys.ts'
export { catalogue, defineEnvelopeType, envelopeType, ENVELOPE_TYPES, type EnvelopeType, type EnvelopeTypeInit } from './catalogue.ts'
export * from './schemas.ts'
export {
  createSigner, decodeSignature, DEFAULT_FEDERATION, domainOfEnvelope, encodeSignature, envelopeSigningInput, formatPath, senderOf, signEnvelope, SIGNATURE_PREFIX, type Signed
} from './sign.ts'
export {
  buildCapabilityAdvert, buildClose, buildContribution, buildEnvelope, buildPresence, buildProposal, buildQuestion, buildReflection,
  buildSecretaryClaim, buildSummary, buildTaskRequest, buildTaskResponse, buildVote, newId, toTimestamp,
  type BuildOptions, type CapabilityAdvertInit, type CloseInit, type ContributionInit, type PresenceInit, type ProposalInit,
  type QuestionInit, type ReflectionInit, type SecretaryClaimInit, type SummaryInit, type TaskRequestInit, type TaskResponseInit, type TimeInput
} from './build.ts'
export { LruMap, ReplayCache, type ReplayCheck } from './replay.ts'
export { EnvelopeValidator, type ValidateOptions, type ValidatorOptions } from './validate.ts'
export { envelopeMsgId, canonicalContent, type Sha256Hasher } from './msg-id.ts'
