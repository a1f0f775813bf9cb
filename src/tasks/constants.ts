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
/**
 * How long probing an interpreter may take before it counts as absent. Generous: a pyenv shim is
 * a shell script (~1.4 s here idle) and took over 5 s under a load average of 20.
 */
export const PYTHON_PROBE_TIMEOUT_MS = 15_000
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

/**
 * Delegation over /swarm/task/1.0.0 (see docs/protocol.md "Tasks"). A request carries a program
 * of up to PYTHON_CODE_BYTES, which JSON escaping can grow; a response carries up to two output
 * streams, so it may use the whole stream frame (MAX_FRAME_BYTES, 4 MiB). These caps apply to
 * task envelopes on the stream only; gossip envelopes keep the 64 KiB cap.
 */
export const TASK_REQUEST_MAX_BYTES = 2 * 1024 * 1024
export const TASK_RESPONSE_MAX_BYTES = 4 * 1024 * 1024
/** The caller waits this long past a request's deadline for the answer (dial + transfer). */
export const TASK_RESPONSE_GRACE_MS = 5_000
/** Reading the request frame, writing the response frame. */
export const TASK_STREAM_IO_TIMEOUT_MS = 10_000
export const TASK_MAX_STREAMS = 64

/** Capability adverts: defaults of tasks.advertIntervalSec / tasks.advertTtlSec. */
export const ADVERT_INTERVAL_SEC = 30
export const ADVERT_TTL_SEC = 90
/** A change of load (queue, running) is re-advertised after this pause, so bursts coalesce. */
export const ADVERT_LOAD_DEBOUNCE_MS = 250
/** After a peer subscribes or connects, our advert is pushed again after this pause. */
export const ADVERT_PUSH_DELAY_MS = 300
/** Pushes (each floods the federation) are at least this far apart. */
export const ADVERT_PUSH_MIN_GAP_MS = 2_000

/** Task records kept in the `tasks` bucket (older ones are pruned). */
export const TASK_RECORDS_KEEP = 1000
export const TASK_LIST_DEFAULT = 50

/**
 * The python jail (bubblewrap, see docs/tasks.md "The jail"). When the daemon runs as root the
 * jail runs as this unprivileged uid/gid: RLIMIT_NPROC does not bind a process whose real user is
 * root, and a non-root user cannot read the root-owned home even if a path leaked into the jail.
 */
export const JAIL_UID = 65534
export const JAIL_GID = 65534
/** The tmpfs scratch directory (cwd, HOME, TMPDIR) inside the jail, and its size. */
export const JAIL_SCRATCH = '/tmp'
export const JAIL_SCRATCH_BYTES = 64 * 1024 * 1024
/** Processes (and threads) one jailed task may have at once (RLIMIT_NPROC in its user namespace). */
export const JAIL_MAX_PROCESSES = 32
/** Where bwrap is looked for (a PATH lookup comes after these). */
export const BWRAP_PATHS = ['/usr/bin/bwrap', '/usr/local/bin/bwrap']
/** Interpreters tried for the jail when the configured `python3` cannot run there (pyenv under /root). */
export const JAIL_FALLBACK_PYTHONS = ['/usr/bin/python3', '/usr/local/bin/python3']
/** How long probing the jail may take before it counts as unavailable. */
export const JAIL_PROBE_TIMEOUT_MS = 15_000
/** A failed jail probe is tried again after this long (a working one is kept). */
export const JAIL_REPROBE_MS = 5 * 60_000

/** Isolation classes an advert may declare for its python executor, strongest first. */
export const ISOLATION_CLASSES = ['bwrap', 'wasm', 'none'] as const

/** The longest a peer's advert is believed, whatever its `expires-at` says (the directory caps it). */
export const ADVERT_MAX_TTL_SEC = 3600
