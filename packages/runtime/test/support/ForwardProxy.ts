/**
 * A forward HTTP proxy on 127.0.0.1 for tests: relays absolute-URI requests and CONNECT tunnels,
 * counting what passes; and the address of a proxy that is not there (nothing listens).
 */
import { closedPort } from "@mirage/testkit/TcpListeners"
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer, request as httpRequest } from "node:http"
import { connect } from "node:net"

export interface ForwardProxy {
  /** "http://127.0.0.1:PORT" */
  readonly url: string
  /** Requests relayed: absolute-URI GETs and CONNECT tunnels. */
  readonly relayed: () => number
  readonly targets: () => ReadonlyArray<string>
}

export const make: Effect.Effect<ForwardProxy, never, Scope.Scope> = Effect.gen(function*() {
  const targets: Array<string> = []
  const server = yield* Effect.acquireRelease(
    Effect.async<ReturnType<typeof createServer>>((resume) => {
      const server = createServer((incoming, outgoing) => {
        const target = incoming.url ?? ""
        targets.push(`${incoming.method ?? "GET"} ${target}`)
        if (!URL.canParse(target)) {
          outgoing.writeHead(400).end()
          return
        }
        const upstream = httpRequest(
          target,
          { method: incoming.method ?? "GET", headers: incoming.headers },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(outgoing)
          }
        )
        upstream.on("error", () => outgoing.writeHead(502).end())
        incoming.pipe(upstream)
      })
      server.on("connect", (incoming, socket, head) => {
        const target = incoming.url ?? ""
        targets.push(`CONNECT ${target}`)
        const [host, port] = target.split(":")
        const upstream = connect(Number(port), host ?? "127.0.0.1", () => {
          socket.write("HTTP/1.1 200 Connection Established\r\n\r\n")
          if (head.length > 0) upstream.write(head)
          upstream.pipe(socket)
          socket.pipe(upstream)
        })
        upstream.on("error", () => socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"))
        socket.on("error", () => upstream.destroy())
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, relayed: () => targets.length, targets: () => targets.slice() }
})

/** A proxy URL where nothing listens (a port that stays closed while the test runs). */
export const dead: Effect.Effect<string> = Effect.map(closedPort, (port) => `http://127.0.0.1:${port}`)
