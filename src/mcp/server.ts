// The swarmd MCP server: tools and resources over a SwarmClient (the control socket). Transport
// agnostic; `swarm mcp` connects it to stdio.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { SwarmClient } from '../client/swarm-client.ts'
import { registerQuestionTools } from './question-tools.ts'
import { registerWorkTools } from './work-tools.ts'
import { QuestionResources } from './resources.ts'
import { serveQuestions } from './serve.ts'

export interface SwarmMcpInit {
  client: SwarmClient
  version: string
  /** Announce each new eligible question to the client (`swarm mcp --serve`). */
  serve?: boolean
}

export class SwarmMcpServer {
  readonly server: McpServer
  private readonly resources: QuestionResources
  private readonly init: SwarmMcpInit
  private readonly ac = new AbortController()
  private serving?: Promise<void>

  constructor (init: SwarmMcpInit) {
    this.init = init
    this.server = new McpServer({ name: 'swarmd', version: init.version }, {
      capabilities: { resources: { subscribe: true, listChanged: true }, logging: {} },
      instructions: 'swarmd connects this agent to a peer-to-peer swarm of agents. Ask with swarm_ask, follow the answers with swarm_watch (pass back the cursor), summarize and close your own questions; serve others by listing swarm_questions and answering with swarm_answer.'
    })
    registerQuestionTools(this.server, init.client)
    registerWorkTools(this.server, init.client)
    this.resources = new QuestionResources(this.server, init.client)
    this.resources.register()
  }

  async connect (transport: Transport): Promise<void> {
    await this.server.connect(transport)
    if (this.init.serve === true) {
      this.serving = serveQuestions(this.server, this.init.client, this.resources, this.ac.signal).catch(() => {})
    }
  }

  async close (): Promise<void> {
    this.ac.abort()
    this.resources.close()
    await this.serving
    await this.server.close().catch(() => {})
  }
}
