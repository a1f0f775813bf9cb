// The request handler: the SDK's DefaultRequestHandler, with a new task's message checked
// before any task exists, so a message swarmd cannot serve is a request error (-32602 with
// the reason) rather than a task that fails.

import type { ServerCallContext } from '@a2a-js/sdk/server'
import { DefaultRequestHandler } from '@a2a-js/sdk/server'
import { RequestMalformedError } from '@a2a-js/sdk/errors'
import type { Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk'
import { parseRequest } from './parts.ts'

export class SwarmRequestHandler extends DefaultRequestHandler {
  private check (params: SendMessageRequest): void {
    const m = params?.message
    // a reply on an existing task (input-required) is any text; a new one must be a question or a task
    if (m === undefined || (typeof m.taskId === 'string' && m.taskId !== '')) return
    const parsed = parseRequest(m, 1)
    if (!parsed.ok) throw new RequestMalformedError(`usage: ${parsed.reason}`)
  }

  override async sendMessage (params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    this.check(params)
    return await super.sendMessage(params, context)
  }

  override async * sendMessageStream (params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    this.check(params)
    yield * super.sendMessageStream(params, context)
  }
}
