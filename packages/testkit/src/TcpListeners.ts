/**
 * Plain TCP services on 127.0.0.1 for port scans: each listener greets with its banner (or, when
 * silent, accepts and says nothing), and a port known to be closed.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { connect, createServer } from "node:net"
import type { Server, Socket } from "node:net"

export interface TcpListener {
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: () => number
}

const listen = (banner: string | undefined) =>
  Effect.gen(function*() {
    let accepted = 0
    const open = new Set<Socket>()
    const server = yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const server = createServer((socket) => {
          accepted++
          open.add(socket)
          socket.on("close", () => open.delete(socket))
          socket.on("error", () => socket.destroy())
          if (banner !== undefined) socket.end(banner)
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          for (const socket of open) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    return {
      port: typeof address === "object" && address !== null ? address.port : 0,
      connections: () => accepted
    }
  })

/** A listener that sends `banner` to every connection and closes it. */
export const banner = (text: string): Effect.Effect<TcpListener, never, Scope.Scope> => listen(text)

/** A listener that accepts and never speaks: a TLS or HTTP client waiting on it hangs until its timeout. */
export const silent: Effect.Effect<TcpListener, never, Scope.Scope> = listen(undefined)

/**
 * A port nothing listens on. It is taken below the kernel's ephemeral range (32768–60999 on Linux),
 * where no `listen(0)` and no outgoing connection can be given it later: a number that was merely
 * free a moment ago could be handed to another test's listener before the scan connects. Each
 * candidate is checked to refuse a connection.
 */
export const closedPort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const low = 20_000
  const span = 12_000
  const start = Math.floor(Math.random() * span)
  const attempt = (tried: number): void => {
    if (tried === span) return resume(Effect.die(new Error("no closed port below the ephemeral range")))
    const port = low + ((start + tried) % span)
    const socket = connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      attempt(tried + 1)
    })
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.destroy()
      if (error.code === "ECONNREFUSED") resume(Effect.succeed(port))
      else attempt(tried + 1)
    })
  }
  attempt(0)
})
