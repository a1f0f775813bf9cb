// `swarm mcp [--serve]`: an MCP server on stdin/stdout for agent runtimes (Claude Code, Cursor,
// …), talking to the home's daemon over the control socket. stdout carries only MCP messages;
// it runs until the client closes stdin or the daemon goes away.

import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('mcp')
    .description('serve the swarm to an MCP client over stdio (tools swarm_ask, swarm_watch, swarm_answer, …; resources swarm://question/<id>)')
    .option('--serve', 'also notify the client of each new question this node may answer')
    .addHelpText('after', '\nIn an MCP client\'s config:\n  "mcpServers": { "swarm": { "command": "swarm", "args": ["mcp", "--serve"] } }')
    .action(async (opts: { serve?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const [{ SwarmClient }, { SwarmMcpServer }, { StdioServerTransport }, { ControlClient }] = await Promise.all([
        import('../../client/swarm-client.ts'),
        import('../../mcp/server.ts'),
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../../control/client.ts')
      ])
      const control = await ControlClient.connect(ctx.paths.socket, ctx.home, AbortSignal.timeout(5000))
      const client = new SwarmClient(control)
      const mcp = new SwarmMcpServer({ client, version: program.version() ?? 'unknown', serve: opts.serve === true })
      const ended = Promise.withResolvers<void>()
      const transport = new StdioServerTransport(io.stdin as NodeJS.ReadStream, io.stdout)
      transport.onclose = () => { ended.resolve() }
      io.stdin.once('end', () => { ended.resolve() })
      io.stdin.once('close', () => { ended.resolve() })
      // the daemon stopping ends the session: the client sees the server exit and can restart it
      const gone = client.events({ types: ['events:subscribed'] })
      gone.end.then(() => { ended.resolve() }, (err: Error) => { io.stderr.write(`swarm mcp: ${err.message}\n`); process.exitCode = 1; ended.resolve() })
      await mcp.connect(transport)
      await ended.promise
      gone.cancel()
      await mcp.close()
      client.disconnect()
    })
}
