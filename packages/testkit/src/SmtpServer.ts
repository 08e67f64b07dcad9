/**
 * An SMTP server for the fixture world: greets, answers EHLO, MAIL and RCPT like a real MX (250 for a known mailbox,
 * 550 5.1.1 for an unknown one, or 250 for any with `catchAll`), RSET and QUIT — and refuses DATA, noting it, so a
 * test can check that a deliverability check never starts sending a message. It listens on 127.0.0.1.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer, type Socket } from "node:net"

export interface SmtpServerOptions {
  readonly hostname: string
  readonly mailboxes: ReadonlyArray<string>
  readonly catchAll?: boolean
  /** Answer every RCPT with 450 (greylisting). */
  readonly greylist?: boolean
}

export interface SmtpServer {
  readonly host: string
  readonly port: number
  /** Every command received, in order, across connections. */
  readonly commands: () => ReadonlyArray<string>
}

export const make = (options: SmtpServerOptions): Effect.Effect<SmtpServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const commands: Array<string> = []
    const sockets = new Set<Socket>()
    const mailboxes = new Set(options.mailboxes.map((m) => m.toLowerCase()))
    const answer = (line: string): string | undefined => {
      const verb = line.slice(0, 4).toUpperCase()
      if (verb === "EHLO") return `250-${options.hostname}\r\n250-SIZE 35882577\r\n250 8BITMIME`
      if (verb === "HELO") return `250 ${options.hostname}`
      if (verb === "MAIL") return "250 2.1.0 Ok"
      if (verb === "RCPT") {
        if (options.greylist) return "450 4.2.0 Greylisted, try again later"
        const address = /<([^>]*)>/.exec(line)?.[1]?.toLowerCase() ?? ""
        return options.catchAll || mailboxes.has(address) ? "250 2.1.5 Ok" : "550 5.1.1 User unknown"
      }
      if (verb === "DATA") return "554 5.7.1 Not accepting messages here"
      if (verb === "RSET") return "250 2.0.0 Ok"
      if (verb === "QUIT") return "221 2.0.0 Bye"
      return "502 5.5.2 Command not recognized"
    }
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof createServer>>((resume) => {
        const server = createServer((socket) => {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          socket.on("error", () => socket.destroy())
          socket.setEncoding("utf8")
          let buffer = ""
          socket.write(`220 ${options.hostname} ESMTP ready\r\n`)
          socket.on("data", (chunk: string) => {
            buffer += chunk
            let at: number
            while ((at = buffer.indexOf("\r\n")) >= 0) {
              const line = buffer.slice(0, at)
              buffer = buffer.slice(at + 2)
              commands.push(line)
              const reply = answer(line)
              if (reply !== undefined) socket.write(`${reply}\r\n`)
              if (line.toUpperCase() === "QUIT") socket.end()
            }
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    return {
      host: "127.0.0.1",
      port: typeof address === "object" && address !== null ? address.port : 0,
      commands: () => commands.slice()
    }
  })
