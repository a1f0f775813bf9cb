// Who may send this node python-computation (code it runs): members in a closed federation; in
// an open one only the node ids in tasks.allowFrom (a stranger's code is not run because it
// asked nicely). Pure: the task service hands in its membership view and settings.

export interface MembershipView {
  closed: () => boolean
  whyNot: (nodeId: string) => string | undefined
}

/** Why `nodeId` may not send python tasks here, or undefined when it may. */
export function whyNotPythonSender (nodeId: string, membership: MembershipView | undefined, allowFrom: readonly string[]): string | undefined {
  if (membership?.closed() === true) {
    const why = membership.whyNot(nodeId)
    return why === undefined ? undefined : `python tasks are taken from members only (${why})`
  }
  if (allowFrom.includes(nodeId)) return undefined
  return 'python tasks are taken only from the node ids in tasks.allowFrom'
}
