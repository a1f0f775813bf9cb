// Limits and defaults for task delegation and the executors. Every limit a remote peer can hit
// lives here, so an operator reading one file knows what a delegated task may cost this node.

/** Task types the swarm knows; anything else is refused as `unsupported-task`. */
export const TASK_TYPES = ['python-computation', 'code-generation', 'file-analysis'] as const

/** Capabilities a node can advertise (see capabilities.ts for when each is claimed). */
export const CAPABILITIES = ['python-execution', 'code-generation', 'file-management'] as const

/** python executor: wall-clock limit, address-space limit, cap per output stream. */
export const PYTHON_TIMEOUT_MS = 30_000
export const PYTHON_MEMORY_MB = 256
export const PYTHON_OUTPUT_BYTES = 1024 * 1024
/** Largest file the code may write in its scratch directory (RLIMIT_FSIZE): stops disk filling. */
export const PYTHON_FILE_BYTES = 64 * 1024 * 1024
/** Largest program accepted (bytes of UTF-8 source). */
export const PYTHON_CODE_BYTES = 256 * 1024
/** How long probing an interpreter may take before it counts as absent. */
export const PYTHON_PROBE_TIMEOUT_MS = 5_000
/** The only PATH the sandboxed interpreter sees. */
export const PYTHON_SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin'

/** file-analysis: largest file read (bigger ones are refused, not half-hashed). */
export const FILE_ANALYSIS_MAX_BYTES = 64 * 1024 * 1024
/** Bytes sniffed to tell text from binary. */
export const FILE_SNIFF_BYTES = 8 * 1024
export const FILE_ANALYSIS_TIMEOUT_MS = 30_000

/** code-generation: per-endpoint limit; the next endpoint gets a fresh budget. */
export const CODEGEN_TIMEOUT_MS = 60_000
export const CODEGEN_MAX_TOKENS = 2048
export const CODEGEN_TEMPERATURE = 0.2
