/**
 * Plain TCP services on 127.0.0.1 for port scans: each listener greets with its banner (or, when
 * silent, accepts and says nothing), and a port known to be closed.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:net"
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

/** A port nothing listens on: bound once to get a free number, then released. */
export const closedPort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})
