// A pause that ends early when its signal aborts (resolving, not throwing: the caller checks the
// signal and says what was given up). No node: imports: the daemon and the page both wait with it
// (attachment fetches asking a busy holder again, the page redialling its daemon).

export async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done (): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
